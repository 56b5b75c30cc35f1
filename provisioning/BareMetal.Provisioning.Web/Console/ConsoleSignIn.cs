using BareMetal.Provisioning.Core.Accounts;
using BareMetal.Provisioning.Web.Auth;
using Microsoft.AspNetCore.Http;

namespace BareMetal.Provisioning.Web.WebConsole;

/// <summary>
/// The console's login and logout, on the API's own session store: the same cookie as
/// POST /api/v1/session, so a console page can call the API (with the session's CSRF token) and the
/// API's SSE feed accepts the browser.
/// </summary>
public sealed class ConsoleSignIn(IAccountStore accounts, AdminSessions sessions)
{
    /// <summary>Longest password checked (longer input is refused, not hashed), as the API does.</summary>
    public const int MaxPasswordLength = 1024;

    public async Task<bool> SignInAsync(HttpContext context, string password)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(password);
        if (password.Length > MaxPasswordLength || !await accounts.VerifyAdminPasswordAsync(password, context.RequestAborted))
        {
            return false;
        }
        var (id, _) = sessions.Create();
        context.Response.Cookies.Append(BareMetalAuth.CookieName, id, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = "/",
            MaxAge = AdminSessions.IdleTimeout,
        });
        return true;
    }

    public void SignOut(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.Cookies.TryGetValue(BareMetalAuth.CookieName, out var id) && id is not null)
        {
            sessions.End(id);
        }
        context.Response.Cookies.Delete(BareMetalAuth.CookieName, new CookieOptions { Path = "/" });
    }

    /// <summary>The CSRF token of the signed-in session, for scripts that call the API.</summary>
    public static string? ApiCsrfToken(HttpContext context) => context?.Items[BareMetalAuth.CsrfItem] as string;
}

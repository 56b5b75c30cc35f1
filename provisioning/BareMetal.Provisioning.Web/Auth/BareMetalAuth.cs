using System.Security.Claims;
using System.Text.Encodings.Web;
using BareMetal.Provisioning.Core.Accounts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BareMetal.Provisioning.Web.Auth;

/// <summary>
/// One authentication scheme for both callers: `Authorization: Bearer TOKEN` (CLI, scripts: no CSRF
/// needed, a browser never sends it by itself) or the session cookie (console: CSRF header needed on
/// every state-changing request, see <see cref="CsrfMiddleware"/>).
/// </summary>
public sealed class BareMetalAuth : AuthenticationHandler<AuthenticationSchemeOptions>
{
    public const string SchemeName = "BareMetal";
    public const string CookieName = "baremetal_session";

    /// <summary>Claim type saying how the caller authenticated: "cookie" or "token".</summary>
    public const string MethodClaim = "baremetal:auth";

    /// <summary>Claim type carrying the id of the API token a request authenticated with (DELETE /tokens/current revokes it).</summary>
    public const string TokenIdClaim = "baremetal:token";

    /// <summary>HttpContext.Items key holding the CSRF token of a cookie session.</summary>
    public const string CsrfItem = "baremetal:csrf";

    private readonly AdminSessions _sessions;
    private readonly IAccountStore _accounts;

    public BareMetalAuth(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AdminSessions sessions, IAccountStore accounts)
        : base(options, logger, encoder)
    {
        _sessions = sessions;
        _accounts = accounts;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                return AuthenticateResult.Fail("only Bearer tokens are accepted");
            }
            var secret = header[7..].Trim();
            var token = secret.Length is 0 or > 256 ? null : await _accounts.ValidateTokenAsync(secret, Context.RequestAborted);
            return token is null
                ? AuthenticateResult.Fail("unknown or revoked API token")
                : Success(token.Name, "token", token.Id);
        }
        if (Request.Cookies.TryGetValue(CookieName, out var id) && id is not null && _sessions.Touch(id) is { } csrf)
        {
            Context.Items[CsrfItem] = csrf;
            return Success("admin", "cookie", null);
        }
        return AuthenticateResult.NoResult();
    }

    private static AuthenticateResult Success(string name, string method, long? tokenId)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(MethodClaim, method)], SchemeName);
        if (tokenId is { } id)
        {
            identity.AddClaim(new Claim(TokenIdClaim, id.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, "Authentication required",
            "log in (POST /api/v1/session) or send 'Authorization: Bearer TOKEN' with an API token");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.WriteAsync(Context, StatusCodes.Status403Forbidden, "Forbidden", "this account may not do that");
}

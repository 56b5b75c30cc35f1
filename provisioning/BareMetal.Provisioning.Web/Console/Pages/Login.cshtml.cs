using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.RateLimiting;

namespace BareMetal.Provisioning.Web.WebConsole.Pages;

/// <summary>
/// Cookie login with the admin password; the form carries the antiforgery token like every other, and
/// password guessing meets the same per-client rate limit as POST /api/v1/session.
/// </summary>
[EnableRateLimiting(Api.SessionRoutes.LoginRateLimit)]
public sealed class LoginModel(ConsoleSignIn signIn) : PageModel
{
    public string? Error { get; private set; }

    [BindProperty(SupportsGet = true)]
    public string? ReturnUrl { get; set; }

    public void OnGet()
    {
    }

    public async Task<IActionResult> OnPostAsync(string? password)
    {
        if (string.IsNullOrEmpty(password) || !await signIn.SignInAsync(HttpContext, password))
        {
            Error = "That password is not right.";
            Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Page();
        }
        // Only local paths: a crafted ?returnUrl=https://elsewhere must not turn login into a redirector.
        return LocalRedirect(Url.IsLocalUrl(ReturnUrl) ? ReturnUrl! : "/");
    }
}

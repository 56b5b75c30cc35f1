using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages;

/// <summary>Logging out is a POST (with the antiforgery token), so a link elsewhere cannot log a user out.</summary>
public sealed class LogoutModel(ConsoleSignIn signIn) : PageModel
{
    public void OnGet()
    {
    }

    public IActionResult OnPost()
    {
        signIn.SignOut(HttpContext);
        return Redirect("/login");
    }
}

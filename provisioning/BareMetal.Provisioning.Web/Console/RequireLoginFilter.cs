using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace BareMetal.Provisioning.Web.WebConsole;

/// <summary>
/// Pages need a signed-in user; a browser without one is sent to the login page (the API's own
/// challenge answers 401 problem details, which suits scripts, not people).
/// </summary>
internal sealed class RequireLoginFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.HttpContext.User.Identity?.IsAuthenticated == true)
        {
            return next();
        }
        var request = context.HttpContext.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            context.Result = new RedirectResult("/login?returnUrl=" + Uri.EscapeDataString(request.Path + request.QueryString));
        }
        else
        {
            context.Result = new ObjectResult(new ProblemDetails { Status = 401, Title = "Authentication required", Detail = "log in first" }) { StatusCode = 401 };
        }
        return Task.CompletedTask;
    }
}

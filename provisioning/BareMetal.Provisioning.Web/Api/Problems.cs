using Microsoft.AspNetCore.Http;

namespace BareMetal.Provisioning.Web;

/// <summary>RFC 7807 problem details, written the same way from handlers, middleware and auth.</summary>
public static class Problems
{
    public static Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Response.HasStarted)
        {
            return Task.CompletedTask;
        }
        return Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context);
    }

    public static IResult BadRequest(string detail) => Results.Problem(statusCode: 400, title: "Bad request", detail: detail);

    public static IResult NotFound(string what) => Results.Problem(statusCode: 404, title: "Not found", detail: what);

    public static IResult Conflict(string detail) => Results.Problem(statusCode: 409, title: "Conflict", detail: detail);
}

using BareMetal.Provisioning.Web.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace BareMetal.Provisioning.Web.Api;

/// <summary>/api/v1/session (cookie login for the console) and /api/v1/tokens (bearer tokens for scripts).</summary>
internal static partial class SessionRoutes
{
    /// <summary>Longest password or token name accepted (longer input is refused, not hashed).</summary>
    public const int MaxPasswordLength = 1024;

    public const int MaxTokenNameLength = 64;

    public const string LoginRateLimit = "login";

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/session", (HttpContext ctx) =>
        {
            var method = ctx.User.FindFirst(BareMetalAuth.MethodClaim)?.Value;
            return Results.Ok(new SessionInfo(method is not null, method, ctx.Items[BareMetalAuth.CsrfItem] as string));
        });
        api.MapPost("/session", (HttpContext ctx, LoginRequest body, IAdminAccounts accounts, AdminSessions sessions, ILoggerFactory loggers) =>
        {
            var log = loggers.CreateLogger("BareMetal.Auth");
            if (body.Password.Length > MaxPasswordLength || !accounts.VerifyPassword(body.Password))
            {
                LogLoginFailed(log, ctx.Connection.RemoteIpAddress?.ToString() ?? "?");
                return Results.Problem(statusCode: 401, title: "Wrong password", detail: "the admin password did not match");
            }
            var (id, csrf) = sessions.Create();
            ctx.Response.Cookies.Append(BareMetalAuth.CookieName, id, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Secure = ctx.Request.IsHttps,
                Path = "/",
                MaxAge = AdminSessions.IdleTimeout,
            });
            LogLogin(log, ctx.Connection.RemoteIpAddress?.ToString() ?? "?");
            return Results.Ok(new SessionInfo(true, "cookie", csrf));
        }).AllowAnonymous().RequireRateLimiting(LoginRateLimit);
        api.MapDelete("/session", (HttpContext ctx, AdminSessions sessions) =>
        {
            if (ctx.Request.Cookies.TryGetValue(BareMetalAuth.CookieName, out var id) && id is not null)
            {
                sessions.End(id);
            }
            ctx.Response.Cookies.Delete(BareMetalAuth.CookieName, new CookieOptions { Path = "/" });
            return Results.NoContent();
        }).RequireAuthorization();

        var tokens = api.MapGroup("/tokens").RequireAuthorization();
        tokens.MapGet("", (IAdminAccounts accounts) => Results.Ok(accounts.ListTokens().Select(ToDto).ToList()));
        tokens.MapPost("", (CreateTokenRequest body, IAdminAccounts accounts, ILoggerFactory loggers) =>
        {
            var name = body.Name.Trim();
            if (name.Length is 0 or > MaxTokenNameLength || name.Any(char.IsControl))
            {
                return Problems.BadRequest($"a token name is 1 to {MaxTokenNameLength} printable characters");
            }
            var (info, secret) = accounts.CreateToken(name);
            LogTokenCreated(loggers.CreateLogger("BareMetal.Auth"), info.Id, info.Name);
            return Results.Created($"/api/v1/tokens/{Uri.EscapeDataString(info.Id)}", new CreatedToken(info.Id, info.Name, info.CreatedAt, secret));
        });
        tokens.MapDelete("/{id}", (string id, IAdminAccounts accounts, ILoggerFactory loggers) =>
        {
            if (!accounts.RevokeToken(id))
            {
                return Problems.NotFound($"no API token with id '{id}'");
            }
            LogTokenRevoked(loggers.CreateLogger("BareMetal.Auth"), id);
            return Results.NoContent();
        });
    }

    private static ApiToken ToDto(ApiTokenInfo t) => new(t.Id, t.Name, t.CreatedAt, t.LastUsedAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin logged in from {Client}")]
    private static partial void LogLogin(ILogger logger, string client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed admin login from {Client}")]
    private static partial void LogLoginFailed(ILogger logger, string client);

    [LoggerMessage(Level = LogLevel.Information, Message = "API token {TokenId} '{TokenName}' created")]
    private static partial void LogTokenCreated(ILogger logger, string tokenId, string tokenName);

    [LoggerMessage(Level = LogLevel.Information, Message = "API token {TokenId} revoked")]
    private static partial void LogTokenRevoked(ILogger logger, string tokenId);
}

using System.Globalization;
using BareMetal.Provisioning.Core.Accounts;
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
        api.MapPost("/session", async (HttpContext ctx, LoginRequest body, IAccountStore accounts, AdminSessions sessions, ILoggerFactory loggers) =>
        {
            var log = loggers.CreateLogger("BareMetal.Auth");
            if (body.Password.Length > MaxPasswordLength || !await accounts.VerifyAdminPasswordAsync(body.Password, ctx.RequestAborted))
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
        // `baremetal login`: the password for a bearer token, no cookie and no CSRF dance; limited like a login.
        api.MapPost("/session/token", async (HttpContext ctx, TokenLoginRequest body, IAccountStore accounts, ILoggerFactory loggers) =>
        {
            var log = loggers.CreateLogger("BareMetal.Auth");
            var name = body.Name.Trim();
            if (name.Length is 0 or > MaxTokenNameLength || name.Any(char.IsControl))
            {
                return Problems.BadRequest($"a token name is 1 to {MaxTokenNameLength} printable characters");
            }
            if (body.Password.Length > MaxPasswordLength || !await accounts.VerifyAdminPasswordAsync(body.Password, ctx.RequestAborted))
            {
                LogLoginFailed(log, ctx.Connection.RemoteIpAddress?.ToString() ?? "?");
                return Results.Problem(statusCode: 401, title: "Wrong password", detail: "the admin password did not match");
            }
            var created = await accounts.CreateTokenAsync(name, ctx.RequestAborted);
            var info = created.Token;
            LogLogin(log, ctx.Connection.RemoteIpAddress?.ToString() ?? "?");
            LogTokenCreated(log, info.Id, info.Name);
            return Results.Created($"/api/v1/tokens/{info.Id.ToString(CultureInfo.InvariantCulture)}", new CreatedToken(info.Id, info.Name, info.CreatedAt, created.Secret));
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
        tokens.MapGet("", async (IAccountStore accounts, CancellationToken ct) => Results.Ok((await accounts.ListTokensAsync(ct)).Select(ToDto).ToList()));
        tokens.MapPost("", async (CreateTokenRequest body, IAccountStore accounts, ILoggerFactory loggers, CancellationToken ct) =>
        {
            var name = body.Name.Trim();
            if (name.Length is 0 or > MaxTokenNameLength || name.Any(char.IsControl))
            {
                return Problems.BadRequest($"a token name is 1 to {MaxTokenNameLength} printable characters");
            }
            var created = await accounts.CreateTokenAsync(name, ct);
            var info = created.Token;
            LogTokenCreated(loggers.CreateLogger("BareMetal.Auth"), info.Id, info.Name);
            return Results.Created($"/api/v1/tokens/{info.Id.ToString(CultureInfo.InvariantCulture)}", new CreatedToken(info.Id, info.Name, info.CreatedAt, created.Secret));
        });
        // `baremetal logout`: the caller's own token, whatever its id.
        tokens.MapDelete("/current", async (HttpContext ctx, IAccountStore accounts, ILoggerFactory loggers, CancellationToken ct) =>
        {
            if (!long.TryParse(ctx.User.FindFirst(BareMetalAuth.TokenIdClaim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var tokenId))
            {
                return Problems.BadRequest("DELETE /api/v1/tokens/current revokes the API token the request carries; this one came with a cookie");
            }
            await accounts.RevokeTokenAsync(tokenId, ct);
            LogTokenRevoked(loggers.CreateLogger("BareMetal.Auth"), tokenId);
            return Results.NoContent();
        });
        tokens.MapDelete("/{id}", async (string id, IAccountStore accounts, ILoggerFactory loggers, CancellationToken ct) =>
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var tokenId))
            {
                return Problems.BadRequest($"a token id is a number, not '{Printable(id)}'");
            }
            if (!await accounts.RevokeTokenAsync(tokenId, ct))
            {
                return Problems.NotFound($"no API token with id '{id}'");
            }
            LogTokenRevoked(loggers.CreateLogger("BareMetal.Auth"), tokenId);
            return Results.NoContent();
        });
    }

    private static ApiTokenInfo ToDto(ApiToken t) => new(t.Id, t.Name, t.CreatedAt, t.LastUsedAt, t.RevokedAt);

    /// <summary>User text echoed in an error: cut short, control characters escaped.</summary>
    internal static string Printable(string text)
    {
        var shown = text.Length > 64 ? text[..64] + "..." : text;
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin logged in from {Client}")]
    private static partial void LogLogin(ILogger logger, string client);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed admin login from {Client}")]
    private static partial void LogLoginFailed(ILogger logger, string client);

    [LoggerMessage(Level = LogLevel.Information, Message = "API token {TokenId} '{TokenName}' created")]
    private static partial void LogTokenCreated(ILogger logger, long tokenId, string tokenName);

    [LoggerMessage(Level = LogLevel.Information, Message = "API token {TokenId} revoked")]
    private static partial void LogTokenRevoked(ILogger logger, long tokenId);
}

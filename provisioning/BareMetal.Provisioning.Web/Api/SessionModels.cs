namespace BareMetal.Provisioning.Web.Api;

/// <summary>POST /api/v1/session body.</summary>
public sealed record LoginRequest(string Password);

/// <summary>GET/POST /api/v1/session answer: who is calling and, for a cookie session, its CSRF token.</summary>
public sealed record SessionInfo(bool Authenticated, string? Method, string? CsrfToken);

/// <summary>POST /api/v1/tokens body.</summary>
public sealed record CreateTokenRequest(string Name);

/// <summary>POST /api/v1/session/token body: log in for an API token (the CLI's `baremetal login`) instead of a cookie.</summary>
public sealed record TokenLoginRequest(string Password, string Name);

/// <summary>An API token as listed (never the secret).</summary>
public sealed record ApiTokenInfo(long Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);

/// <summary>POST /api/v1/tokens answer: the only time the secret is shown.</summary>
public sealed record CreatedToken(long Id, string Name, DateTimeOffset CreatedAt, string Token);

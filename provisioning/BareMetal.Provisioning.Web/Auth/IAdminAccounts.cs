namespace BareMetal.Provisioning.Web.Auth;

/// <summary>What the API's authentication needs from the account store (adapted from Core's).</summary>
public interface IAdminAccounts
{
    bool HasPassword { get; }

    void SetPassword(string password);

    bool VerifyPassword(string password);

    /// <summary>Creates a named token; the secret is in the result and nowhere else, ever.</summary>
    (ApiTokenInfo Info, string Secret) CreateToken(string name);

    IReadOnlyList<ApiTokenInfo> ListTokens();

    bool RevokeToken(string id);

    /// <summary>The token's name when the secret is a live token (and records its use), else null.</summary>
    string? Validate(string secret);
}

/// <summary>An API token as listed: never its secret.</summary>
public sealed record ApiTokenInfo(string Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt);

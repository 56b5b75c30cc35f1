namespace BareMetal.Provisioning.Core.Accounts;

/// <summary>A stored API token (never its secret: only a SHA-256 of it is kept).</summary>
public sealed record ApiToken(long Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt)
{
    public bool IsRevoked => RevokedAt is not null;
}

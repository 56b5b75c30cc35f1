namespace BareMetal.Provisioning.Core.Accounts;

/// <summary>
/// The admin password (PBKDF2-SHA256 with a random salt) and named API tokens. Nothing here ever
/// returns or logs a secret after creation.
/// </summary>
public interface IAccountStore
{
    /// <summary>True once an admin password is set (first run sets it).</summary>
    Task<bool> HasAdminPasswordAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets the admin password. With <paramref name="replace"/> false it only sets it when none is set
    /// (first run) and returns false otherwise; with true it replaces it (the --admin-password flag).
    /// Passwords shorter than <see cref="PasswordHasher.MinPasswordLength"/> are refused (400 kind).
    /// </summary>
    Task<bool> SetAdminPasswordAsync(string password, bool replace, CancellationToken cancellationToken = default);

    /// <summary>Checks a password in constant time; false when none is set.</summary>
    Task<bool> VerifyAdminPasswordAsync(string password, CancellationToken cancellationToken = default);

    /// <summary>Creates a token with a unique name among live tokens (409 kind when taken).</summary>
    Task<CreatedApiToken> CreateTokenAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Every token, revoked ones included, by id.</summary>
    Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken = default);

    /// <summary>Revokes a token; false when no such live token.</summary>
    Task<bool> RevokeTokenAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>The live token with this secret (and records its use), or null.</summary>
    Task<ApiToken?> ValidateTokenAsync(string secret, CancellationToken cancellationToken = default);
}

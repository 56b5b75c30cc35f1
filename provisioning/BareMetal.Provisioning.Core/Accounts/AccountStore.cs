using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Catalog.Data;

namespace BareMetal.Provisioning.Core.Accounts;

/// <summary><see cref="IAccountStore"/> over the shared database.</summary>
public sealed class AccountStore : IAccountStore
{
    /// <summary>Prefix of every token secret, so leaked ones are easy to grep for.</summary>
    public const string TokenPrefix = "bm_";

    public const int MaxTokenNameLength = 64;

    /// <summary>last_used_at is written at most this often per token (a busy script must not make every request a write).</summary>
    public static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    private readonly SqlDatabase _db;
    private readonly TimeProvider _time;
    private readonly int _iterations;

    /// <param name="iterations">PBKDF2 iterations for new hashes (tests lower it; stored hashes carry their own).</param>
    public AccountStore(SqlDatabase database, TimeProvider? time = null, int iterations = PasswordHasher.DefaultIterations)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _time = time ?? TimeProvider.System;
        _iterations = iterations;
    }

    public async Task<bool> HasAdminPasswordAsync(CancellationToken cancellationToken = default)
    {
        await using var s = await _db.ReadAsync(cancellationToken);
        return await s.ScalarInt64Async("SELECT COUNT(*) FROM admin_password", cancellationToken) > 0;
    }

    public async Task<bool> SetAdminPasswordAsync(string password, bool replace, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (password.Length < PasswordHasher.MinPasswordLength || password.Length > PasswordHasher.MaxPasswordLength)
        {
            throw new CatalogException(CatalogErrorKind.Invalid,
                $"the admin password has {PasswordHasher.MinPasswordLength}..{PasswordHasher.MaxPasswordLength} characters");
        }
        var hash = PasswordHasher.Hash(password, _iterations);
        await using var s = await _db.WriteAsync(cancellationToken);
        var exists = await s.ScalarInt64Async("SELECT COUNT(*) FROM admin_password", cancellationToken) > 0;
        if (exists && !replace)
        {
            return false;
        }
        await s.ExecuteAsync(
            "INSERT INTO admin_password (id, hash, set_at) VALUES (1, @h, @t) ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, set_at = excluded.set_at",
            cancellationToken, ("@h", hash), ("@t", DbValues.ToUnixMs(_time.GetUtcNow())));
        await s.CommitAsync(cancellationToken);
        return true;
    }

    public async Task<bool> VerifyAdminPasswordAsync(string password, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (password.Length > PasswordHasher.MaxPasswordLength)
        {
            return false;
        }
        await using var s = await _db.ReadAsync(cancellationToken);
        var stored = await s.ScalarAsync("SELECT hash FROM admin_password WHERE id = 1", cancellationToken) as string;
        return stored is not null && PasswordHasher.Verify(password, stored);
    }

    public async Task<CreatedApiToken> CreateTokenAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        name = CatalogLimits.CheckText("token name", name.Trim(), MaxTokenNameLength, multiline: false);
        if (name.Length == 0)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, "a token needs a name");
        }
        var secret = TokenPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = DbValues.ToUnixMs(_time.GetUtcNow());
        await using var s = await _db.WriteAsync(cancellationToken);
        if (await s.ScalarInt64Async("SELECT COUNT(*) FROM api_tokens WHERE name = @n AND revoked_at IS NULL", cancellationToken, ("@n", name)) > 0)
        {
            throw new CatalogException(CatalogErrorKind.Conflict, $"a live token named '{name}' exists; revoke it first");
        }
        var id = await s.ScalarInt64Async("INSERT INTO api_tokens (name, token_sha256, created_at, last_used_at, revoked_at) VALUES (@n, @h, @t, NULL, NULL) RETURNING id",
            cancellationToken, ("@n", name), ("@h", Sha256(secret)), ("@t", now)) ?? throw new InvalidOperationException("INSERT returned no id");
        await s.CommitAsync(cancellationToken);
        return new CreatedApiToken(new ApiToken(id, name, DateTimeOffset.FromUnixTimeMilliseconds(now), null, null), secret);
    }

    public async Task<IReadOnlyList<ApiToken>> ListTokensAsync(CancellationToken cancellationToken = default)
    {
        await using var s = await _db.ReadAsync(cancellationToken);
        return await s.QueryAsync("SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY id", ReadToken, cancellationToken);
    }

    public async Task<bool> RevokeTokenAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.WriteAsync(cancellationToken);
        var n = await s.ExecuteAsync("UPDATE api_tokens SET revoked_at = @t WHERE id = @id AND revoked_at IS NULL", cancellationToken,
            ("@t", DbValues.ToUnixMs(_time.GetUtcNow())), ("@id", id));
        await s.CommitAsync(cancellationToken);
        return n > 0;
    }

    public async Task<ApiToken?> ValidateTokenAsync(string secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(secret);
        if (!secret.StartsWith(TokenPrefix, StringComparison.Ordinal) || secret.Length > 128)
        {
            return null;
        }
        // Looked up by its hash: equality on a SHA-256 leaks nothing usable about the secret's bytes.
        var hash = Sha256(secret);
        ApiToken? token;
        await using (var s = await _db.ReadAsync(cancellationToken))
        {
            token = await s.QuerySingleAsync("SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE token_sha256 = @h AND revoked_at IS NULL",
                ReadToken, cancellationToken, ("@h", hash));
        }
        if (token is null)
        {
            return null;
        }
        var now = _time.GetUtcNow();
        if (token.LastUsedAt is null || now - token.LastUsedAt.Value >= LastUsedResolution)
        {
            await using var w = await _db.WriteAsync(cancellationToken);
            await w.ExecuteAsync("UPDATE api_tokens SET last_used_at = @t WHERE id = @id", cancellationToken, ("@t", DbValues.ToUnixMs(now)), ("@id", token.Id));
            await w.CommitAsync(cancellationToken);
            token = token with { LastUsedAt = DateTimeOffset.FromUnixTimeMilliseconds(DbValues.ToUnixMs(now)) };
        }
        return token;
    }

    private static ApiToken ReadToken(DbDataReader r) =>
        new(r.Int64("id"), r.String("name")!, r.Time("created_at"), r.NullableTime("last_used_at"), r.NullableTime("revoked_at"));

    private static string Sha256(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

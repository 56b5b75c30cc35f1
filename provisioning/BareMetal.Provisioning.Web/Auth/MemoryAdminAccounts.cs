using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace BareMetal.Provisioning.Web.Auth;

/// <summary>Accounts kept in memory (until the catalog's persistent store is wired in; then a test double).</summary>
internal sealed class MemoryAdminAccounts(TimeProvider time) : IAdminAccounts
{
    private readonly ConcurrentDictionary<string, (ApiTokenInfo Info, byte[] Hash)> _tokens = new(StringComparer.Ordinal);
    private byte[]? _password;

    public bool HasPassword => _password is not null;

    public void SetPassword(string password) => _password = SHA256.HashData(Encoding.UTF8.GetBytes(password));

    public bool VerifyPassword(string password) =>
        _password is { } p && CryptographicOperations.FixedTimeEquals(p, SHA256.HashData(Encoding.UTF8.GetBytes(password)));

    public (ApiTokenInfo Info, string Secret) CreateToken(string name)
    {
        var secret = "bm_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var info = new ApiTokenInfo(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)), name, time.GetUtcNow(), null);
        _tokens[info.Id] = (info, SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
        return (info, secret);
    }

    public IReadOnlyList<ApiTokenInfo> ListTokens() => [.. _tokens.Values.Select(t => t.Info).OrderBy(t => t.CreatedAt)];

    public bool RevokeToken(string id) => _tokens.TryRemove(id, out _);

    public string? Validate(string secret)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(secret));
        foreach (var (id, t) in _tokens)
        {
            if (CryptographicOperations.FixedTimeEquals(t.Hash, hash))
            {
                _tokens[id] = (t.Info with { LastUsedAt = time.GetUtcNow() }, t.Hash);
                return t.Info.Name;
            }
        }
        return null;
    }
}

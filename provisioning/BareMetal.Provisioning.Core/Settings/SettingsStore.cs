using BareMetal.ImageStore.Catalog.Data;
using BareMetal.Provisioning.Core.Events;

namespace BareMetal.Provisioning.Core.Settings;

/// <summary><see cref="ISettingsStore"/> over the shared database.</summary>
public sealed class SettingsStore : ISettingsStore
{
    private readonly SqlDatabase _db;
    private readonly TimeProvider _time;
    private readonly IProvisioningEvents? _events;

    public SettingsStore(SqlDatabase database, TimeProvider? time = null, IProvisioningEvents? events = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _time = time ?? TimeProvider.System;
        _events = events;
    }

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        if (SettingKeys.KeyProblem(key) is not null)
        {
            return null;
        }
        await using var s = await _db.ReadAsync(cancellationToken);
        return await s.ScalarAsync("SELECT value FROM settings WHERE key = @k", cancellationToken, ("@k", key)) as string;
    }

    public async Task<IReadOnlyDictionary<string, string>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var s = await _db.ReadAsync(cancellationToken);
        var rows = await s.QueryAsync("SELECT key, value FROM settings ORDER BY key", r => (r.String("key")!, r.String("value")!), cancellationToken);
        return rows.ToDictionary(r => r.Item1, r => r.Item2, StringComparer.Ordinal);
    }

    public async Task SetAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        SettingKeys.Check(key, value);
        await using (var s = await _db.WriteAsync(cancellationToken))
        {
            await s.ExecuteAsync(
                "INSERT INTO settings (key, value, updated_at) VALUES (@k, @v, @t) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                cancellationToken, ("@k", key), ("@v", value), ("@t", DbValues.ToUnixMs(_time.GetUtcNow())));
            await s.CommitAsync(cancellationToken);
        }
        _events?.Publish(new ProvisioningChange(ProvisioningChangeKind.SettingChanged, _time.GetUtcNow(), SettingKey: key));
    }

    public async Task<bool> RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        if (SettingKeys.KeyProblem(key) is not null)
        {
            return false;
        }
        int n;
        await using (var s = await _db.WriteAsync(cancellationToken))
        {
            n = await s.ExecuteAsync("DELETE FROM settings WHERE key = @k", cancellationToken, ("@k", key));
            await s.CommitAsync(cancellationToken);
        }
        if (n > 0)
        {
            _events?.Publish(new ProvisioningChange(ProvisioningChangeKind.SettingChanged, _time.GetUtcNow(), SettingKey: key));
        }
        return n > 0;
    }
}

namespace BareMetal.Provisioning.Core.Settings;

/// <summary>
/// Server settings edited in the console (DHCP mode, boot files ...), as string key/value pairs.
/// Keys: 1..64 of [a-z0-9._-]; values at most <see cref="SettingKeys.MaxValueLength"/> characters.
/// Well-known keys are in <see cref="SettingKeys"/>; their values are validated there.
/// </summary>
public interface ISettingsStore
{
    Task<string?> GetAsync(string key, CancellationToken cancellationToken = default);

    Task<IReadOnlyDictionary<string, string>> ListAsync(CancellationToken cancellationToken = default);

    Task SetAsync(string key, string value, CancellationToken cancellationToken = default);

    /// <summary>False when the key was not set.</summary>
    Task<bool> RemoveAsync(string key, CancellationToken cancellationToken = default);
}

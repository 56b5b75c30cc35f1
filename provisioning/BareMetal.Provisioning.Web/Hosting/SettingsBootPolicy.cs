using BareMetal.Provisioning.Core.Events;
using BareMetal.Provisioning.Core.Settings;
using BareMetal.Pxe.Dhcp.Policy;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// Provisioning's <see cref="IBootPolicy"/>: <see cref="DefaultBootPolicy"/> with the boot files the console's
/// settings name (<c>boot.file.bios</c>, <c>boot.file.x64</c>, <c>boot.file.arm64</c>), re-read whenever a setting
/// changes, so a new x64 file (say snponly.efi for a NIC ipxe.efi has no driver for) applies to the next
/// DHCP answer without a restart. What each node then boots is its iPXE script's business.
/// </summary>
public sealed class SettingsBootPolicy : IBootPolicy, IAsyncDisposable
{
    private readonly ISettingsStore _settings;
    private readonly DefaultBootPolicyOptions _defaults;
    private readonly CancellationTokenSource _stop = new();
    private volatile DefaultBootPolicy _current;
    private Task? _listener;

    public SettingsBootPolicy(ISettingsStore settings, DefaultBootPolicyOptions defaults)
    {
        _settings = settings;
        _defaults = defaults;
        _current = new DefaultBootPolicy(defaults);
    }


    public BootDecision? Decide(BootRequest request) => _current.Decide(request);

    /// <summary>Reads the settings now and, with <paramref name="events"/>, again after every setting change.</summary>
    public async Task StartAsync(IProvisioningEvents? events, CancellationToken cancellationToken)
    {
        // Subscribe before the first read, so a change saved in between is heard rather than lost.
        var feed = events?.SubscribeAsync(_stop.Token);
        await RefreshAsync(cancellationToken);
        if (feed is not null)
        {
            _listener = Task.Run(async () =>
            {
                try
                {
                    await foreach (var change in feed)
                    {
                        if (change.Kind == ProvisioningChangeKind.SettingChanged && change.SettingKey?.StartsWith("boot.file.", StringComparison.Ordinal) != false)
                        {
                            await RefreshAsync(_stop.Token);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            });
        }
    }

    /// <summary>Re-reads the boot-file settings.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var all = await _settings.ListAsync(cancellationToken);
        string? Get(string key) => all.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;
        var options = _defaults with
        {
            BiosBootFile = Get(SettingKeys.BootFileBios) ?? _defaults.BiosBootFile,
            X64BootFile = Get(SettingKeys.BootFileX64) ?? _defaults.X64BootFile,
            Arm64BootFile = Get(SettingKeys.BootFileArm64) ?? _defaults.Arm64BootFile,
        };
        _current = new DefaultBootPolicy(options);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_listener is not null)
        {
            await _listener;
        }
        _stop.Dispose();
    }
}

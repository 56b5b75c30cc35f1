namespace BareMetal.Provisioning.Core.Boot;

/// <summary>
/// Where nodes reach our iSCSI target, for stream-mode scripts when the `boot.stream.protocol` setting
/// is "iscsi": the portal as the node dials it and the IQN prefix of our targets
/// ("iqn.2026-11.dev.baremetal:"; the block service's own constant, handed in by the Web project).
/// </summary>
/// <param name="Host">An IPv4 address or host name, or an IPv6 address in brackets.</param>
public sealed record IscsiPortal(string Host, int Port, string TargetPrefix)
{
    /// <summary>
    /// iPXE's SAN URI `iscsi:server:protocol:port:LUN:target` (empty protocol = TCP), LUN 0. The node's
    /// overlay is `export:node` in the target name: '@' is not an IQN character, ':' is, and the target
    /// maps that ':' back to '@' (export names never hold one).
    /// </summary>
    public string SanUri(string exportName, string compactMac)
    {
        ArgumentNullException.ThrowIfNull(exportName);
        ArgumentNullException.ThrowIfNull(compactMac);
        return $"iscsi:{Host}::{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}:0:{TargetPrefix}{exportName}:{compactMac}";
    }
}

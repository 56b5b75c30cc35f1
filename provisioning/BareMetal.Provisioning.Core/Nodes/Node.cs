using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Provisioning.Core.Nodes;

/// <summary>A machine the server knows, and what it should boot.</summary>
/// <param name="Mac">Lower-case colon form; the key.</param>
/// <param name="Hostname">User-given name; null when none.</param>
/// <param name="Architecture">DHCP option 93 as last seen; null when unknown.</param>
/// <param name="Uuid">DHCP option 97 (SMBIOS UUID) as last seen.</param>
/// <param name="Firmware">Boot firmware kind as last seen.</param>
/// <param name="IpAddress">Address as last seen (leased, ciaddr or HTTP peer).</param>
/// <param name="FirstSeen">When it was registered.</param>
/// <param name="LastSeen">Its last contact (or registration).</param>
/// <param name="ImageName">Assigned image; null when none.</param>
/// <param name="ImageVersion">Pinned version; null = always the newest version of <paramref name="ImageName"/>.</param>
/// <param name="Mode">How it boots.</param>
/// <param name="Origin">Auto-registered or added by hand.</param>
/// <param name="PinnedAddress">The address an operator gave when adding it by hand: where its requests are accepted from (see <see cref="Security.INodeAddressVerifier"/>).</param>
public sealed record Node(
    string Mac,
    string? Hostname,
    ClientArchitecture? Architecture,
    Guid? Uuid,
    FirmwareKind Firmware,
    string? IpAddress,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string? ImageName,
    int? ImageVersion,
    NodeMode Mode,
    NodeOrigin Origin,
    string? PinnedAddress = null)
{
    /// <summary>"525400123456": the identity in its export name ("debian.v3@525400123456").</summary>
    public string CompactMac => Macs.Compact(Mac);

    public bool IsAssigned => Mode != NodeMode.None;
}

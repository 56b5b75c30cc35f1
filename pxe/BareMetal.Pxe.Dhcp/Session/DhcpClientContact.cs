using System.Net;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Dhcp.Session;

/// <summary>
/// A client spoke to us (raised whether or not we answered), so provisioning can register nodes it has
/// not seen before.
/// </summary>
/// <param name="Address">The address leased, or the client's ciaddr; null when it has none yet.</param>
/// <param name="BootFile">What we told it to boot; null when we did not answer with a boot file.</param>
public sealed record DhcpClientContact(
    string Mac,
    ClientArchitecture? Architecture,
    Guid? Uuid,
    IPAddress? Address,
    FirmwareKind Firmware,
    string? VendorClass,
    DhcpMessageType MessageType,
    string? BootFile);

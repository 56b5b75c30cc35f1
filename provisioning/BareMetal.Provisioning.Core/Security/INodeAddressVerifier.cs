using System.Net;

namespace BareMetal.Provisioning.Core.Security;

/// <summary>
/// Whether a client address is a node's own ("from that node"): the one our DHCP leased to that MAC, or,
/// beside someone else's DHCP, the one the kernel's neighbour table maps to that MAC on the serving
/// interface, or the address an operator pinned on a node added by hand.
/// </summary>
public interface INodeAddressVerifier
{
    /// <param name="mac">Normalised MAC.</param>
    /// <param name="pinnedAddress">The node's operator-given address, if any.</param>
    AddressVerdict Verify(string mac, IPAddress address, string? pinnedAddress);
}

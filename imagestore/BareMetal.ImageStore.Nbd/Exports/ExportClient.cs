using System.Net;

namespace BareMetal.ImageStore.Nbd.Exports;

/// <summary>
/// Who asks for an export: the peer address of the connection (IPv4-mapped IPv6 addresses are given as
/// IPv4) and the front-end it came through. <see cref="Authenticated"/> is true when the front-end has
/// already proven the client's right to the name it asks for (an iSCSI login that passed CHAP for that
/// target), so no key needs to travel in the name.
/// </summary>
public sealed record ExportClient(IPAddress Address, ExportProtocol Protocol, bool Authenticated = false)
{
    /// <summary>The client of a socket peer, or of an HTTP connection (null address: unknown, as TestServer has it).</summary>
    public static ExportClient From(IPAddress? address, ExportProtocol protocol) =>
        new(address is null ? IPAddress.None : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address, protocol);

    public override string ToString() => $"{Address} ({Protocol.ToString().ToLowerInvariant()})";
}

using System.Net;

namespace BareMetal.Pxe.Dhcp.Session;

/// <summary>One received datagram: its bytes, who sent it and which of our ports (67 or 4011) it came to.</summary>
public readonly record struct DhcpInbound(ReadOnlyMemory<byte> Datagram, IPEndPoint Source, int LocalPort);

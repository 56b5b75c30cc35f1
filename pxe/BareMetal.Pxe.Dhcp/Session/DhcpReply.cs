using System.Net;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Dhcp.Session;

/// <summary>A reply to send: where to, the message, and its encoded bytes.</summary>
public sealed record DhcpReply(IPEndPoint Destination, DhcpPacket Packet, byte[] Datagram);

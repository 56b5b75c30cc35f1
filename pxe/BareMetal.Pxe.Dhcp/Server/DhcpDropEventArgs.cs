using System.Net;

namespace BareMetal.Pxe.Dhcp.Server;

/// <summary>A datagram we did not answer, and why (malformed, not a PXE client, policy said no, ...).</summary>
public sealed record DhcpDropEventArgs(IPEndPoint Source, int LocalPort, string Reason);

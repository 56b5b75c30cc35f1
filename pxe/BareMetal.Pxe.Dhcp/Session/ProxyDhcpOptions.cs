using System.Net;

namespace BareMetal.Pxe.Dhcp.Session;

/// <summary>Settings of the ProxyDHCP responder.</summary>
/// <param name="ServerAddress">Our address on the boot network: option 54.</param>
/// <param name="TftpServer">siaddr / option 66; null = <paramref name="ServerAddress"/>.</param>
public sealed record ProxyDhcpOptions(IPAddress ServerAddress, IPAddress? TftpServer = null);

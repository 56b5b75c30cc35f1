using System.Net;

namespace BareMetal.Pxe.Dhcp.Policy;

/// <summary>
/// What a client boots: a TFTP file name ("undionly.kpxe") or a full URL ("http://10.0.0.1:8080/boot/x.ipxe")
/// for iPXE and UEFI HTTP boot clients.
/// </summary>
/// <param name="BootFile">Goes into both the BOOTP <c>file</c> field and option 67.</param>
/// <param name="NextServer">TFTP server (siaddr and option 66); null = the server's configured TFTP server.</param>
public sealed record BootDecision(string BootFile, IPAddress? NextServer = null)
{
    public bool IsUrl => BootFile.Contains("://", StringComparison.Ordinal);
}

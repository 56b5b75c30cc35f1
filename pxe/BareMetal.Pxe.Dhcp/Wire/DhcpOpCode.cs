namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>BOOTP <c>op</c> field (RFC 951): who sent the message.</summary>
public enum DhcpOpCode : byte
{
    BootRequest = 1,
    BootReply = 2,
}

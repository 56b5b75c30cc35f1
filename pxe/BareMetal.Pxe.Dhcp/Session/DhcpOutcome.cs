namespace BareMetal.Pxe.Dhcp.Session;

/// <summary>
/// The result of handling one datagram: at most one reply, the client contact (when the datagram was a
/// well-formed client message) and, when nothing is sent, why (for the log).
/// </summary>
public sealed record DhcpOutcome(DhcpReply? Reply, DhcpClientContact? Contact, string? DropReason)
{
    public static DhcpOutcome Dropped(string reason, DhcpClientContact? contact = null) => new(null, contact, reason);

    public static DhcpOutcome Replied(DhcpReply reply, DhcpClientContact? contact) => new(reply, contact, null);

    /// <summary>Handled, and the protocol wants no reply (RELEASE, DECLINE).</summary>
    public static DhcpOutcome Silent(DhcpClientContact? contact, string note) => new(null, contact, note);
}

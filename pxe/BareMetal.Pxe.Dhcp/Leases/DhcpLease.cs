using System.Net;

namespace BareMetal.Pxe.Dhcp.Leases;

/// <summary>One address and who holds it until when.</summary>
/// <param name="Mac">Lower-case colon-separated hex.</param>
public sealed record DhcpLease(string Mac, IPAddress Address, DateTimeOffset ExpiresAt, LeaseState State, string? HostName = null)
{
    public bool IsExpired(DateTimeOffset now) => ExpiresAt <= now;
}

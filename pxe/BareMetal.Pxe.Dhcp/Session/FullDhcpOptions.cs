using System.Net;

namespace BareMetal.Pxe.Dhcp.Session;

/// <summary>Settings of the full DHCP server for a lab network.</summary>
public sealed record FullDhcpOptions
{
    /// <summary>Our address on the lab network: option 54, and never leased.</summary>
    public required IPAddress ServerAddress { get; init; }

    /// <summary>First address of the dynamic pool.</summary>
    public required IPAddress RangeStart { get; init; }

    /// <summary>Last address of the dynamic pool (inclusive).</summary>
    public required IPAddress RangeEnd { get; init; }

    public IPAddress SubnetMask { get; init; } = IPAddress.Parse("255.255.255.0");

    /// <summary>Option 3; null = none. Like 6, 15 and 42, sent when the client's option 55 asks for it (or it sent no 55).</summary>
    public IPAddress? Router { get; init; }

    /// <summary>Option 6; empty = none.</summary>
    public IReadOnlyList<IPAddress> DnsServers { get; init; } = [];

    /// <summary>Option 15; null = none.</summary>
    public string? DomainName { get; init; }

    /// <summary>Option 42; empty = none.</summary>
    public IReadOnlyList<IPAddress> NtpServers { get; init; } = [];

    public TimeSpan LeaseTime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long an OFFERed address stays held for the client if it never REQUESTs.</summary>
    public TimeSpan OfferHoldTime { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a DECLINEd address stays out of the pool.</summary>
    public TimeSpan DeclineHoldTime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Static reservations: MAC ("52:54:00:12:34:56", any case, ':' or '-') to address (in the subnet, inside or outside the range).</summary>
    public IReadOnlyDictionary<string, IPAddress> Reservations { get; init; } = new Dictionary<string, IPAddress>();

    /// <summary>siaddr / option 66 for PXE clients; null = <see cref="ServerAddress"/>.</summary>
    public IPAddress? TftpServer { get; init; }
}

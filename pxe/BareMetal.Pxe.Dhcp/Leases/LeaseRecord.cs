namespace BareMetal.Pxe.Dhcp.Leases;

/// <summary>One lease as written to disk (addresses as dotted quads, the state by name).</summary>
internal sealed class LeaseRecord
{
    public string Mac { get; set; } = "";

    public string Address { get; set; } = "";

    public DateTimeOffset ExpiresAt { get; set; }

    public LeaseState State { get; set; }

    public string? HostName { get; set; }
}

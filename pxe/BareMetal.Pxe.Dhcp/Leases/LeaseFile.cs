namespace BareMetal.Pxe.Dhcp.Leases;

/// <summary>The JSON document of <see cref="JsonFileLeaseStore"/>. Version 1; bump it when the shape changes.</summary>
internal sealed class LeaseFile
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;

    public List<LeaseRecord> Leases { get; set; } = [];
}

namespace BareMetal.Pxe.Dhcp.Leases;

/// <summary>Where the full DHCP server keeps its leases across restarts.</summary>
public interface ILeaseStore
{
    IReadOnlyList<DhcpLease> Load();

    /// <summary>Replaces the stored set; must leave the old set or the new one, never a torn file.</summary>
    void Save(IReadOnlyList<DhcpLease> leases);
}

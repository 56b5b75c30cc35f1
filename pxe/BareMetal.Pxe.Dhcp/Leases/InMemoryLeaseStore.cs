namespace BareMetal.Pxe.Dhcp.Leases;

/// <summary>Leases that live as long as the process (tests, throwaway labs).</summary>
public sealed class InMemoryLeaseStore : ILeaseStore
{
    private readonly Lock _gate = new();
    private IReadOnlyList<DhcpLease> _leases = [];

    public int SaveCount { get; private set; }

    public IReadOnlyList<DhcpLease> Load()
    {
        lock (_gate)
        {
            return _leases;
        }
    }

    public void Save(IReadOnlyList<DhcpLease> leases)
    {
        lock (_gate)
        {
            _leases = [.. leases];
            SaveCount++;
        }
    }
}

using System.Net;

namespace BareMetal.Provisioning.Core.Security;

/// <summary>
/// <see cref="INodeAddressVerifier"/> on a real host, from three sources, strongest first:
/// <list type="number">
/// <item>the node's operator-pinned address (its word decides, either way);</item>
/// <item>our own DHCP leases (full mode): an address we leased belongs to the MAC we leased it to;</item>
/// <item>the kernel's neighbour table, on the serving interface when one is set: the MAC that answers ARP
/// for the address. Read at most every <see cref="NeighbourRefresh"/>, and again (at most every <see cref="MissRefresh"/>) when an address is
/// not in it (the entry may be seconds old).</item>
/// </list>
/// Anything else (loopback, a routed client, IPv6) is <see cref="AddressVerdict.Unknown"/>.
/// </summary>
public sealed class HostAddressVerifier : INodeAddressVerifier
{
    /// <summary>How long one read of the neighbour table is reused.</summary>
    public static readonly TimeSpan NeighbourRefresh = TimeSpan.FromSeconds(1);

    /// <summary>A miss re-reads the table at most this often (a stranger's guesses must not read it each time).</summary>
    public static readonly TimeSpan MissRefresh = TimeSpan.FromMilliseconds(100);

    private readonly Func<IPAddress, string?> _leaseHolder;
    private readonly Func<IReadOnlyList<NeighbourEntry>> _readNeighbours;
    private readonly Func<string?> _interface;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private IReadOnlyList<NeighbourEntry> _neighbours = [];
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    /// <param name="leaseHolder">The MAC our DHCP leased an address to (normalised), or null (none, or DHCP is not ours).</param>
    /// <param name="readNeighbours">Reads the neighbour table (<see cref="NeighbourTable.ReadLive"/> on a host).</param>
    /// <param name="servingInterface">The interface nodes are on (DHCP's), or null for any.</param>
    public HostAddressVerifier(Func<IPAddress, string?> leaseHolder, Func<IReadOnlyList<NeighbourEntry>> readNeighbours, Func<string?> servingInterface, TimeProvider time)
    {
        _leaseHolder = leaseHolder ?? throw new ArgumentNullException(nameof(leaseHolder));
        _readNeighbours = readNeighbours ?? throw new ArgumentNullException(nameof(readNeighbours));
        _interface = servingInterface ?? throw new ArgumentNullException(nameof(servingInterface));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    public AddressVerdict Verify(string mac, IPAddress address, string? pinnedAddress)
    {
        ArgumentNullException.ThrowIfNull(mac);
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (pinnedAddress is not null)
        {
            return IPAddress.TryParse(pinnedAddress, out var pinned) && pinned.Equals(address) ? AddressVerdict.Match : AddressVerdict.Mismatch;
        }
        if (_leaseHolder(address) is { } holder)
        {
            return holder == mac ? AddressVerdict.Match : AddressVerdict.Mismatch;
        }
        var iface = _interface();
        var entry = Neighbour(address, iface, fresh: false) ?? Neighbour(address, iface, fresh: true);
        return entry is null ? AddressVerdict.Unknown : entry.Mac == mac ? AddressVerdict.Match : AddressVerdict.Mismatch;
    }

    private NeighbourEntry? Neighbour(IPAddress address, string? iface, bool fresh)
    {
        IReadOnlyList<NeighbourEntry> table;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (now - _readAt >= (fresh ? MissRefresh : NeighbourRefresh))
            {
                _neighbours = _readNeighbours();
                _readAt = now;
            }
            table = _neighbours;
        }
        return table.FirstOrDefault(n => n.Address.Equals(address) && (iface is null || n.Device == iface));
    }
}

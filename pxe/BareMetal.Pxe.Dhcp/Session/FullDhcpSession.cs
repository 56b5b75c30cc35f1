using System.Buffers.Binary;
using System.Net;
using BareMetal.Pxe.Dhcp.Leases;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Dhcp.Session;

/// <summary>
/// A full DHCP server (RFC 2131 4.3) for a lab network, authoritative for its subnet: it NAKs requests for
/// addresses it cannot give, so clients moved from another network recover at once. PXE and HTTP-boot
/// clients get the same boot options as from the ProxyDHCP responder, with their address. Leases are saved
/// to the <see cref="ILeaseStore"/> on every change; time comes from the injected <see cref="TimeProvider"/>.
/// Thread-safe (one lock: the shell's port 67 and 4011 loops share it).
/// </summary>
public sealed class FullDhcpSession
{
    private readonly FullDhcpOptions _options;
    private readonly IBootPolicy _policy;
    private readonly ILeaseStore _store;
    private readonly TimeProvider _time;
    private readonly ProxyDhcpSession _bootServer;
    private readonly Dictionary<uint, DhcpLease> _leases = [];
    private readonly Dictionary<string, uint> _reservations = new(StringComparer.Ordinal);
    private readonly uint _first;
    private readonly uint _last;
    private readonly uint _mask;
    private readonly uint _network;
    private readonly uint _server;
    private readonly Lock _gate = new();

    public FullDhcpSession(FullDhcpOptions options, IBootPolicy policy, ILeaseStore store, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _policy = policy;
        _store = store;
        _time = time;
        _first = ToUInt(options.RangeStart);
        _last = ToUInt(options.RangeEnd);
        _mask = ToUInt(options.SubnetMask);
        _server = ToUInt(options.ServerAddress);
        _network = _server & _mask;
        if (_first > _last || (_first & _mask) != _network || (_last & _mask) != _network)
        {
            throw new ArgumentException($"range {options.RangeStart}-{options.RangeEnd} is empty or not in {options.ServerAddress}/{options.SubnetMask}", nameof(options));
        }
        foreach (var (mac, address) in options.Reservations)
        {
            var a = ToUInt(address);
            if ((a & _mask) != _network || a == _server)
            {
                throw new ArgumentException($"reservation {mac} -> {address} is not a usable address in the subnet", nameof(options));
            }
            _reservations[NormalizeMac(mac)] = a;
        }
        _bootServer = new ProxyDhcpSession(new ProxyDhcpOptions(options.ServerAddress, options.TftpServer), policy);
        foreach (var lease in store.Load())
        {
            _leases[ToUInt(lease.Address)] = lease;
        }
    }

    /// <summary>A snapshot of the lease table.</summary>
    public IReadOnlyList<DhcpLease> Leases
    {
        get
        {
            lock (_gate)
            {
                return [.. _leases.Values.OrderBy(l => ToUInt(l.Address))];
            }
        }
    }

    public DhcpOutcome Handle(DhcpInbound inbound)
    {
        if (DhcpReplies.Read(inbound, out var request) is { } malformed)
        {
            return malformed;
        }
        if (inbound.LocalPort == DhcpPorts.PxeBootServer)
        {
            // A PXE client that goes to 4011 anyway already has its address: answer as a boot server.
            return _bootServer.Handle(request, inbound);
        }
        if (request.Op != DhcpOpCode.BootRequest || request.MessageType is not { } type)
        {
            return DhcpOutcome.Dropped($"not a DHCP request from {inbound.Source}");
        }
        if (request.HardwareAddressLength == 0)
        {
            return DhcpOutcome.Dropped($"no hardware address from {inbound.Source}");
        }
        var boot = BootRequest.From(request, _options.ServerAddress);
        var contact = new DhcpClientContact(boot.Mac, boot.Architecture, boot.Uuid, ProxyDhcpSession.NonZero(request.ClientAddress), boot.Firmware, boot.VendorClass, type, null);
        BootDecision? decision = null;
        if (boot.IsPxeClient || boot.IsHttpClient)
        {
            decision = _policy.Decide(boot);
            if (decision is null)
            {
                return DhcpOutcome.Dropped($"{boot.Mac}: ignored by the boot policy (architecture {ProxyDhcpSession.Describe(boot.Architecture)}, vendor class '{boot.VendorClass}')", contact);
            }
        }
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            return type switch
            {
                DhcpMessageType.Discover => Discover(request, inbound, boot, decision, contact, now),
                DhcpMessageType.Request => Request(request, inbound, boot, decision, contact, now),
                DhcpMessageType.Decline => Decline(request, boot.Mac, contact, now),
                DhcpMessageType.Release => Release(request, boot.Mac, contact),
                DhcpMessageType.Inform => Inform(request, inbound, boot, decision, contact),
                _ => DhcpOutcome.Dropped($"{boot.Mac}: unexpected {type} from a client", contact),
            };
        }
    }

    /// <summary>Drops expired leases and saves when anything changed. The shell calls it now and then.</summary>
    public void OnTimer()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var expired = _leases.Where(kv => kv.Value.IsExpired(now)).Select(kv => kv.Key).ToList();
            foreach (var k in expired)
            {
                _leases.Remove(k);
            }
            if (expired.Count > 0)
            {
                Save();
            }
        }
    }

    private DhcpOutcome Discover(DhcpPacket request, DhcpInbound inbound, BootRequest boot, BootDecision? decision, DhcpClientContact contact, DateTimeOffset now)
    {
        if (Allocate(boot.Mac, request.RequestedAddress, now) is not { } address)
        {
            return DhcpOutcome.Dropped($"{boot.Mac}: address pool {_options.RangeStart}-{_options.RangeEnd} exhausted", contact);
        }
        var existing = _leases.GetValueOrDefault(address);
        // A client that still holds a bound lease keeps it bound; otherwise hold the address for the offer.
        if (existing is not { State: LeaseState.Bound } || existing.Mac != boot.Mac || existing.IsExpired(now))
        {
            _leases[address] = new DhcpLease(boot.Mac, FromUInt(address), now + _options.OfferHoldTime, LeaseState.Offered, request.GetString(DhcpOptionCode.HostName));
            Save();
        }
        return Reply(request, inbound, DhcpMessageType.Offer, FromUInt(address), boot, decision, contact with { Address = FromUInt(address) }, withLease: true);
    }

    private DhcpOutcome Request(DhcpPacket request, DhcpInbound inbound, BootRequest boot, BootDecision? decision, DhcpClientContact contact, DateTimeOffset now)
    {
        var serverId = request.ServerIdentifier;
        if (serverId is not null && !serverId.Equals(_options.ServerAddress))
        {
            // SELECTING, and the client chose another server's offer: free what we held for it.
            var held = _leases.Where(kv => kv.Value.Mac == boot.Mac && kv.Value.State == LeaseState.Offered).Select(kv => kv.Key).ToList();
            foreach (var k in held)
            {
                _leases.Remove(k);
            }
            if (held.Count > 0)
            {
                Save();
            }
            return DhcpOutcome.Silent(contact, $"{boot.Mac}: chose server {serverId}");
        }
        // SELECTING and INIT-REBOOT name the address in option 50; RENEWING and REBINDING in ciaddr.
        var wanted = request.RequestedAddress ?? ProxyDhcpSession.NonZero(request.ClientAddress);
        if (wanted is null)
        {
            return DhcpOutcome.Dropped($"{boot.Mac}: REQUEST names no address (no option 50, no ciaddr)", contact);
        }
        var a = ToUInt(wanted);
        if (!CanAssign(boot.Mac, a, now))
        {
            var (nak, _) = DhcpReplies.Start(request, DhcpMessageType.Nak, _options.ServerAddress, IPAddress.Any, IPAddress.Any);
            return DhcpOutcome.Replied(DhcpReplies.Finish(nak, request, DhcpMessageType.Nak, inbound), contact);
        }
        foreach (var k in _leases.Where(kv => kv.Value.Mac == boot.Mac && kv.Key != a && kv.Value.State != LeaseState.Declined).Select(kv => kv.Key).ToList())
        {
            _leases.Remove(k);
        }
        _leases[a] = new DhcpLease(boot.Mac, wanted, now + _options.LeaseTime, LeaseState.Bound, request.GetString(DhcpOptionCode.HostName));
        Save();
        return Reply(request, inbound, DhcpMessageType.Ack, wanted, boot, decision, contact with { Address = wanted }, withLease: true);
    }

    private DhcpOutcome Decline(DhcpPacket request, string mac, DhcpClientContact contact, DateTimeOffset now)
    {
        if (request.ServerIdentifier is { } id && !id.Equals(_options.ServerAddress))
        {
            return DhcpOutcome.Silent(contact, $"{mac}: DECLINE for server {id}");
        }
        if (request.RequestedAddress is not { } address)
        {
            return DhcpOutcome.Dropped($"{mac}: DECLINE without option 50", contact);
        }
        var a = ToUInt(address);
        if (_leases.TryGetValue(a, out var lease) && lease.Mac == mac)
        {
            // RFC 2131 4.3.3: the address is in use by someone we do not know; keep it out of the pool.
            _leases[a] = lease with { State = LeaseState.Declined, ExpiresAt = now + _options.DeclineHoldTime };
            Save();
        }
        return DhcpOutcome.Silent(contact, $"{mac}: declined {address}");
    }

    private DhcpOutcome Release(DhcpPacket request, string mac, DhcpClientContact contact)
    {
        var a = ToUInt(request.ClientAddress);
        if (_leases.TryGetValue(a, out var lease) && lease.Mac == mac && lease.State == LeaseState.Bound)
        {
            _leases.Remove(a);
            Save();
        }
        return DhcpOutcome.Silent(contact, $"{mac}: released {request.ClientAddress}");
    }

    private DhcpOutcome Inform(DhcpPacket request, DhcpInbound inbound, BootRequest boot, BootDecision? decision, DhcpClientContact contact) =>
        // RFC 2131 4.3.5: configuration only; no yiaddr, no lease time.
        Reply(request, inbound, DhcpMessageType.Ack, IPAddress.Any, boot, decision, contact, withLease: false);

    private DhcpOutcome Reply(DhcpPacket request, DhcpInbound inbound, DhcpMessageType type, IPAddress yourAddress, BootRequest boot, BootDecision? decision, DhcpClientContact contact, bool withLease)
    {
        var clientAddress = type == DhcpMessageType.Ack ? request.ClientAddress : IPAddress.Any;
        var (reply, opts) = DhcpReplies.Start(request, type, _options.ServerAddress, yourAddress, clientAddress);
        if (withLease)
        {
            var seconds = (uint)Math.Min(uint.MaxValue - 1, _options.LeaseTime.TotalSeconds);
            opts.Add(DhcpOption.UInt32(DhcpOptionCode.LeaseTime, seconds));
            opts.Add(DhcpOption.UInt32(DhcpOptionCode.RenewalTime, seconds / 2));
            opts.Add(DhcpOption.UInt32(DhcpOptionCode.RebindingTime, (uint)(seconds * 7UL / 8)));
        }
        opts.Add(DhcpOption.Addresses(DhcpOptionCode.SubnetMask, _options.SubnetMask));
        opts.Add(DhcpOption.Addresses(DhcpOptionCode.BroadcastAddress, FromUInt(_network | ~_mask)));
        // What lets an installer or a live system reach past the subnet (issue 18: Debian's installer asked for
        // 3, 6, 15 and 42 and got none). RFC 2131 4.3.1: send what option 55 asks for; a client without 55
        // (plain BOOTP-era stacks) gets everything configured.
        var asked = request.Get(DhcpOptionCode.ParameterRequestList);
        bool Asked(DhcpOptionCode code) => asked is null || Array.IndexOf(asked, (byte)code) >= 0;
        if (_options.Router is { } router && Asked(DhcpOptionCode.Router))
        {
            opts.Add(DhcpOption.Addresses(DhcpOptionCode.Router, router));
        }
        if (_options.DnsServers.Count > 0 && Asked(DhcpOptionCode.DomainNameServer))
        {
            opts.Add(DhcpOption.Addresses(DhcpOptionCode.DomainNameServer, _options.DnsServers));
        }
        if (_options.DomainName is { Length: > 0 } domain && Asked(DhcpOptionCode.DomainName))
        {
            opts.Add(DhcpOption.String(DhcpOptionCode.DomainName, domain));
        }
        if (_options.NtpServers.Count > 0 && Asked(DhcpOptionCode.NtpServers))
        {
            opts.Add(DhcpOption.Addresses(DhcpOptionCode.NtpServers, _options.NtpServers));
        }
        if (decision is not null)
        {
            reply = DhcpReplies.AddBoot(reply, opts, request, boot, decision, _options.TftpServer ?? _options.ServerAddress);
        }
        return DhcpOutcome.Replied(DhcpReplies.Finish(reply, request, type, inbound), decision is null ? contact : contact with { BootFile = decision.BootFile });
    }

    /// <summary>The client's address: its reservation, its current lease, the address it asked for, else the lowest free one.</summary>
    private uint? Allocate(string mac, IPAddress? requested, DateTimeOffset now)
    {
        if (_reservations.TryGetValue(mac, out var reserved))
        {
            return CanAssign(mac, reserved, now) ? reserved : null;
        }
        foreach (var (a, lease) in _leases)
        {
            if (lease.Mac == mac && lease.State != LeaseState.Declined && CanAssign(mac, a, now))
            {
                return a;
            }
        }
        if (requested is not null && CanAssign(mac, ToUInt(requested), now))
        {
            return ToUInt(requested);
        }
        for (var a = _first; ; a++)
        {
            if (CanAssign(mac, a, now))
            {
                return a;
            }
            if (a == _last)
            {
                return null;
            }
        }
    }

    /// <summary>True when <paramref name="a"/> may be this client's: in our pool (or reserved for it), not reserved for or held by anyone else.</summary>
    private bool CanAssign(string mac, uint a, DateTimeOffset now)
    {
        var reservedForClient = _reservations.TryGetValue(mac, out var r) && r == a;
        if (!reservedForClient)
        {
            if (a < _first || a > _last || a == _server || _reservations.ContainsValue(a) || _reservations.ContainsKey(mac))
            {
                return false;
            }
        }
        if (_leases.TryGetValue(a, out var lease) && !lease.IsExpired(now))
        {
            return lease.Mac == mac && lease.State != LeaseState.Declined;
        }
        return true;
    }

    private void Save() => _store.Save([.. _leases.Values.OrderBy(l => ToUInt(l.Address))]);

    internal static string NormalizeMac(string mac) => mac.Replace('-', ':').ToLowerInvariant();

    internal static uint ToUInt(IPAddress a) => BinaryPrimitives.ReadUInt32BigEndian(DhcpCodec.AddressBytes(a));

    internal static IPAddress FromUInt(uint a)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, a);
        return new IPAddress(b);
    }
}

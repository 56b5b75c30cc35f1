using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using BareMetal.Pxe.Dhcp.Leases;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Fuzz.Tests.Dhcp;

/// <summary>
/// Mutated real and generated packets through the codec and both sessions: the only allowed outcomes
/// are DhcpProtocolException from the codec (and a drop from the sessions) or a valid reply. Seeded, so a
/// failure prints the iteration and reproduces.
/// </summary>
public class DhcpFuzzTests
{
    private const int Iterations = 100_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);
    private static readonly IPAddress Server = IPAddress.Parse("10.9.0.1");

    [Test]
    public void MutatedPackets_OnlyProtocolErrorsOrValidReplies()
    {
        var seeds = Seeds();
        var rng = new Random(20261122);
        var clock = new FuzzClock();
        var proxy = new ProxyDhcpSession(new ProxyDhcpOptions(Server), new DefaultBootPolicy(new DefaultBootPolicyOptions { Arm64BootFile = "arm64.efi" }));
        var full = new FullDhcpSession(
            new FullDhcpOptions { ServerAddress = Server, RangeStart = IPAddress.Parse("10.9.0.10"), RangeEnd = IPAddress.Parse("10.9.0.20"), Reservations = new Dictionary<string, IPAddress> { ["52:54:00:12:34:56"] = IPAddress.Parse("10.9.0.5") } },
            new DefaultBootPolicy(), new InMemoryLeaseStore(), clock);
        var watch = Stopwatch.StartNew();
        int parsed = 0, rejected = 0, replies = 0, i = 0;
        for (; i < Iterations && watch.Elapsed < Budget; i++)
        {
            var d = Mutate(seeds[rng.Next(seeds.Count)], rng);
            try
            {
                var packet = DhcpCodec.Read(d);
                // Everything a log line or a policy reads from a parsed packet must be safe too.
                _ = DhcpPacketText.Format(packet);
                _ = BootRequest.From(packet, Server);
                parsed++;
            }
            catch (DhcpProtocolException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i}: codec threw {e.GetType().Name}: {e.Message}\n{Convert.ToHexString(d)}");
            }
            var port = rng.Next(4) == 0 ? DhcpPorts.PxeBootServer : DhcpPorts.Server;
            var inbound = new DhcpInbound(d, new IPEndPoint(IPAddress.Parse("10.9.0.77"), 68), port);
            foreach (var (name, handle) in new (string, Func<DhcpInbound, DhcpOutcome>)[] { ("proxy", proxy.Handle), ("full", full.Handle) })
            {
                DhcpOutcome o;
                try
                {
                    o = handle(inbound);
                }
                catch (Exception e)
                {
                    Assert.Fail($"iteration {i}: {name} session threw {e}\n{Convert.ToHexString(d)}");
                    return;
                }
                if (o.Reply is { } r)
                {
                    replies++;
                    var back = DhcpCodec.Read(r.Datagram);
                    Assert.That(r.Datagram, Has.Length.GreaterThanOrEqualTo(DhcpCodec.MinimumReplyLength), $"iteration {i} {name}");
                    Assert.That(back.ServerIdentifier, Is.EqualTo(Server), $"iteration {i} {name}");
                    Assert.That(back.Op, Is.EqualTo(DhcpOpCode.BootReply));
                    if (name == "proxy")
                    {
                        Assert.That(back.YourAddress, Is.EqualTo(IPAddress.Any), $"iteration {i}");
                    }
                }
                else
                {
                    Assert.That(o.DropReason, Is.Not.Null.And.Not.Empty, $"iteration {i} {name}: no reply and no reason");
                }
            }
            if (rng.Next(100) == 0)
            {
                clock.Advance(TimeSpan.FromSeconds(rng.Next(7200)));
                full.OnTimer();
            }
        }
        TestContext.Out.WriteLine($"{i} packets in {watch.Elapsed.TotalSeconds:0.0} s: {parsed} parsed, {rejected} rejected, {replies} replies");
        Assert.That(i, Is.GreaterThanOrEqualTo(Iterations / 4), "the time budget cut the run too short to mean anything");
        Assert.That(parsed, Is.GreaterThan(i / 20), "mutations must not be all-garbage");
        Assert.That(replies, Is.GreaterThan(0));
    }

    [Test]
    public void SubOptionParsers_OnRandomBytes_OnlyThrowProtocolErrors()
    {
        var rng = new Random(43);
        var seed = new PxeVendorOptions
        {
            DiscoveryControl = 8,
            BootServers = [new PxeBootServer(1, [Server])],
            BootMenu = [new PxeBootMenuItem(1, "iPXE")],
            MenuPrompt = new PxeMenuPrompt(3, "boot"),
            BootItem = new PxeBootItem(1, 0),
        }.Encode();
        for (var i = 0; i < 20_000; i++)
        {
            var v = Mutate(seed, rng);
            try
            {
                PxeVendorOptions.Parse(v);
            }
            catch (DhcpProtocolException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i}: PxeVendorOptions.Parse threw {e.GetType().Name}\n{Convert.ToHexString(v)}");
            }
            Assert.That(() => UserClass.Parse(v), Throws.Nothing);
            Assert.That(() => BootRequest.ArchitectureFromVendorClass(System.Text.Encoding.Latin1.GetString(v)), Throws.Nothing);
        }
    }

    private static byte[] Mutate(byte[] seed, Random rng) => ByteMutator.Mutate(seed, rng, choices: 8, maxAppend: 64, static (choice, d, rng) =>
    {
        switch (choice)
        {
            case 4 when d.Count > DhcpCodec.MinimumLength:
                // Insert a random option right after the cookie.
                var len = rng.Next(8);
                byte[] opt = [(byte)rng.Next(256), (byte)(rng.Next(4) == 0 ? rng.Next(256) : len), .. Enumerable.Range(0, len).Select(_ => (byte)rng.Next(256))];
                d.InsertRange(DhcpCodec.MinimumLength, opt);
                break;
            case 5 when d.Count > DhcpCodec.MinimumLength:
                // Interesting option bytes: overload, 43, 93, 97, 175.
                byte[] codes = [52, 43, 93, 97, 175, 77, 60, 53, 54, 50, 255, 0];
                d[DhcpCodec.MinimumLength + rng.Next(d.Count - DhcpCodec.MinimumLength)] = codes[rng.Next(codes.Length)];
                break;
            case 6 when d.Count > 30:
                // ciaddr / giaddr / flags: drive the reply routing.
                d[10 + rng.Next(20)] = (byte)rng.Next(256);
                break;
            default:
                if (d.Count > 0)
                {
                    d[rng.Next(Math.Min(d.Count, 4))] = (byte)rng.Next(4);
                }
                break;
        }
    });

    private static List<byte[]> Seeds()
    {
        var seeds = new List<byte[]>(GoldenPayloads());
        // Generated: every message type, PXE and HTTP and iPXE clients, long split options, overload.
        foreach (var type in Enum.GetValues<DhcpMessageType>())
        {
            foreach (ushort arch in new ushort[] { 0, 7, 9, 11, 16, 99 })
            {
                var p = Client(type, arch);
                seeds.Add(DhcpCodec.Write(p));
            }
        }
        seeds.Add(DhcpCodec.Write(Client(DhcpMessageType.Discover, 7) with
        {
            Options = [DhcpOption.Byte(DhcpOptionCode.MessageType, 1), new DhcpOption(DhcpOptionCode.VendorSpecific, new byte[700]), DhcpOption.String(DhcpOptionCode.UserClass, "iPXE")],
        }));
        var overloaded = DhcpCodec.Write(Client(DhcpMessageType.Discover, 0));
        var o = overloaded.ToList();
        o.InsertRange(DhcpCodec.MinimumLength, new byte[] { 52, 1, 3 });
        byte[] fileOpts = [60, 9, .. "PXEClient"u8.ToArray(), 255];
        for (var k = 0; k < fileOpts.Length; k++)
        {
            o[108 + k] = fileOpts[k];
        }
        seeds.Add([.. o]);
        return seeds;
    }

    private static DhcpPacket Client(DhcpMessageType type, ushort arch)
    {
        var chaddr = new byte[16];
        new byte[] { 0x52, 0x54, 0x00, 0x12, 0x34, (byte)arch }.CopyTo(chaddr, 0);
        var archBytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(archBytes, arch);
        return new DhcpPacket(DhcpOpCode.BootRequest, 1, 6, 0, 42, 0, 0, IPAddress.Any, IPAddress.Any, IPAddress.Any, IPAddress.Any, chaddr, "", "",
        [
            DhcpOption.Byte(DhcpOptionCode.MessageType, (byte)type),
            DhcpOption.String(DhcpOptionCode.VendorClassIdentifier, (arch is >= 15 and <= 19 ? "HTTPClient" : "PXEClient") + $":Arch:{arch:D5}:UNDI:003016"),
            new DhcpOption(DhcpOptionCode.ClientArchitecture, archBytes),
            new DhcpOption(DhcpOptionCode.ClientMachineIdentifier, new byte[17]),
            DhcpOption.Addresses(DhcpOptionCode.RequestedIpAddress, IPAddress.Parse("10.9.0.12")),
            DhcpOption.Addresses(DhcpOptionCode.ServerIdentifier, Server),
        ]);
    }

    /// <summary>DHCP payloads of the committed golden captures (pcap, Ethernet/IPv4/UDP).</summary>
    private static IEnumerable<byte[]> GoldenPayloads()
    {
        string? dir = null;
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null && dir is null; d = d.Parent)
        {
            var c = Path.Combine(d.FullName, "tests", "BareMetal.Pxe.Tests", "Dhcp", "testdata");
            dir = Directory.Exists(c) ? c : null;
        }
        Assert.That(dir, Is.Not.Null, "golden captures not found");
        foreach (var file in Directory.GetFiles(dir!, "*.pcap"))
        {
            var s = File.ReadAllBytes(file);
            for (var pos = 24; pos + 16 <= s.Length;)
            {
                var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(s.AsSpan(pos + 8));
                var frame = s.AsSpan(pos + 16, len);
                pos += 16 + len;
                var ihl = (frame[14] & 0x0f) * 4;
                var udp = frame[(14 + ihl)..];
                yield return udp[8..BinaryPrimitives.ReadUInt16BigEndian(udp[4..])].ToArray();
            }
        }
    }

    private sealed class FuzzClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}

using System.Diagnostics;
using System.Reflection;
using BareMetal.Provisioning.Power;
using BareMetal.Provisioning.Power.Ipmi.Session;
using BareMetal.Provisioning.Power.Ipmi.Wire;
using BareMetal.Provisioning.Power.Tests.Ipmi;
using BareMetal.TestSupport;

namespace BareMetal.Fuzz.Tests.Power;

/// <summary>
/// Mutated RMCP/ASF/IPMI datagrams (ipmi_sim captures and a fake BMC's whole transcript) through every
/// wire parser and through the session in every waiting state. Parsers may only throw
/// IpmiProtocolException; the session may only drop a datagram or fail with a PowerException step,
/// never throw. Seeded, so a failure prints the iteration and reproduces.
/// </summary>
public class IpmiFuzzTests
{
    private const int Iterations = 30_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    /// <summary>Every parser of Ipmi/Wire this file feeds; <see cref="EveryWireParser_IsAFuzzTarget"/> keeps it complete.</summary>
    private static readonly string[] Targets =
    [
        "Rmcp.ReadHeader", "Asf.ReadPong", "IpmiSessionWrapper.ReadV15", "IpmiSessionWrapper.ReadV2", "IpmiSessionWrapper.PeekAuthType",
        "IpmiMessage.ReadResponse", "OpenSessionResponse.Read", "Rakp2.Read", "Rakp4.Read", "ChannelAuthCapabilities.Read",
        "BootFlags.Read", "AesCbcConfidentiality.Decrypt",
    ];

    [Test]
    public void EveryWireParser_IsAFuzzTarget()
    {
        var parsers = typeof(Rmcp).Assembly.GetTypes()
            .Where(t => t.Namespace == typeof(Rmcp).Namespace)
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => m.Name.StartsWith("Read", StringComparison.Ordinal) || m.Name.StartsWith("Peek", StringComparison.Ordinal) || m.Name == "Decrypt")
                .Select(m => $"{t.Name}.{m.Name}"))
            .Distinct()
            .ToArray();
        Assert.That(parsers, Is.Not.Empty);
        Assert.That(Targets, Is.SupersetOf(parsers), "a new parser in Ipmi/Wire needs a place in this fuzz target");
    }

    [Test]
    public void MutatedDatagrams_OnlyProtocolErrors_AndTheSessionNeverThrows()
    {
        var (seeds, k1, k2) = Seeds();
        var rng = new Random(20261207);
        var watch = Stopwatch.StartNew();
        int parsed = 0, rejected = 0, i = 0;
        for (; i < Iterations && watch.Elapsed < Budget; i++)
        {
            var d = Mutate(seeds[rng.Next(seeds.Count)], rng);
            foreach (var (name, parse) in Parsers(k1, k2))
            {
                try
                {
                    parse(d);
                    parsed++;
                }
                catch (IpmiProtocolException)
                {
                    rejected++;
                }
                catch (Exception e)
                {
                    Assert.Fail($"iteration {i}: {name} threw {e.GetType().Name}: {e.Message}\n{Convert.ToHexString(d)}");
                }
            }
            if (i % 10 == 0)
            {
                FeedSessions(d, i);
            }
        }
        TestContext.Out.WriteLine($"{i} datagrams: {parsed} parses, {rejected} protocol errors");
        Assert.That(parsed, Is.GreaterThan(0));
        Assert.That(rejected, Is.GreaterThan(0));
    }

    private static IEnumerable<(string, Action<byte[]>)> Parsers(byte[] k1, byte[] k2) =>
    [
        ("Rmcp.ReadHeader", d => Rmcp.ReadHeader(d)),
        ("Asf.ReadPong", d => Asf.ReadPong(d)),
        ("IpmiSessionWrapper.ReadV15", d => IpmiMessage.ReadResponse(IpmiSessionWrapper.ReadV15(d))),
        ("IpmiSessionWrapper.ReadV2", d => IpmiSessionWrapper.ReadV2(d)),
        ("IpmiSessionWrapper.ReadV2+keys", d =>
        {
            var p = IpmiSessionWrapper.ReadV2(d, CipherSuite.Suite3, k1);
            _ = IpmiMessage.ReadResponse(p.Encrypted ? AesCbcConfidentiality.Decrypt(k2, p.Payload) : p.Payload);
        }),
        ("IpmiSessionWrapper.PeekAuthType", d => IpmiSessionWrapper.PeekAuthType(d)),
        ("payloads", d =>
        {
            var body = d.AsSpan(Math.Min(d.Length, 16));
            _ = OpenSessionResponse.Read(body);
            _ = Rakp2.Read(body, 20);
            _ = Rakp4.Read(body, 12);
            _ = ChannelAuthCapabilities.Read(body);
            _ = BootFlags.Read(body);
            _ = AesCbcConfidentiality.Decrypt(k2, body);
        }),
        ("IpmiMessage.ReadResponse", d => IpmiMessage.ReadResponse(d.AsSpan(Math.Min(d.Length, 14)))),
    ];

    /// <summary>Drives a fresh session to each waiting state, then gives it the mutated datagram.</summary>
    private static void FeedSessions(byte[] mutated, int iteration)
    {
        var bmc = new FakeIpmiBmc("admin", "fuzz-pw");
        var session = new IpmiSession(new IpmiSessionOptions { Credentials = new BmcCredentials("admin", "fuzz-pw"), Random = b => b.Fill(7) }, new ManualTime());
        var datagram = session.Connect();
        for (var depth = 0; depth < 8; depth++)
        {
            IpmiStep step;
            try
            {
                step = session.Receive(mutated);
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {iteration}: session in {session.State} threw {e.GetType().Name}: {e.Message}\n{Convert.ToHexString(mutated)}");
                return;
            }
            if (step.Kind is IpmiStepKind.Failed)
            {
                Assert.That(step.Error, Is.Not.Null);
                return;
            }
            if (step.Kind is not IpmiStepKind.Ignore)
            {
                return; // the mutation happened to be a valid answer; the state moved on
            }
            var answer = bmc.Answer(datagram);
            if (answer is null)
            {
                return;
            }
            var next = session.Receive(answer);
            if (next.Kind == IpmiStepKind.Send)
            {
                datagram = next.Datagram!;
            }
            else if (next.Kind == IpmiStepKind.Ready)
            {
                datagram = session.Send(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.GetChassisStatus, []));
            }
            else
            {
                return;
            }
        }
    }

    private static (List<byte[]> Seeds, byte[] K1, byte[] K2) Seeds()
    {
        var seeds = new List<byte[]>
        {
            Convert.FromHexString("0600ff06000011be40010010000011be000000008100000000000000"),
            Convert.FromHexString("0600ff0700000000000000000010811c6320003800019704030000000009"),
            Convert.FromHexString("0600ff070611000000000000000002000504"),
        };
        // A whole transcript from the fake BMC: Open Session Response, RAKP 2, RAKP 4, encrypted answers.
        var bmc = new FakeIpmiBmc("admin", "fuzz-pw");
        var session = new IpmiSession(new IpmiSessionOptions { Credentials = new BmcCredentials("admin", "fuzz-pw"), Random = b => b.Fill(7) }, new ManualTime());
        var datagram = session.Connect();
        while (true)
        {
            var answer = bmc.Answer(datagram)!;
            seeds.Add(answer);
            var step = session.Receive(answer);
            if (step.Kind == IpmiStepKind.Send)
            {
                datagram = step.Datagram!;
                continue;
            }
            break;
        }
        seeds.Add(bmc.Answer(session.Send(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.GetChassisStatus, [])))!);
        // The keys are not reachable from outside the session; an authenticated packet made with
        // known keys stands in for "a packet the parser can authenticate".
        var k1 = Enumerable.Range(0, 20).Select(x => (byte)x).ToArray();
        var k2 = Enumerable.Range(0, 20).Select(x => (byte)(x * 7)).ToArray();
        var inner = IpmiMessage.WriteRequest(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.GetChassisStatus, [1, 2, 3]), 3);
        seeds.Add(IpmiSessionWrapper.WriteV2(IpmiPayloadType.IpmiMessage, true, 9, 9, AesCbcConfidentiality.Encrypt(k2, new byte[16], inner), CipherSuite.Suite3, k1));
        return (seeds, k1, k2);
    }

    private static byte[] Mutate(byte[] seed, Random rng) => ByteMutator.Mutate(seed, rng, choices: 7, maxAppend: 48, static (choice, d, rng) =>
    {
        switch (choice)
        {
            case 4 when d.Count > 16:
                // Length fields: the V1.5 length byte and the RMCP+ payload length.
                d[rng.Next(2) == 0 ? 13 : 14] = (byte)rng.Next(256);
                break;
            case 5 when d.Count > 5:
                // Payload type byte: flip encrypted/authenticated or pick another type.
                byte[] types = [0x00, 0x40, 0x80, 0xC0, 0x02, 0x10, 0x11, 0x13, 0x15, 0x3F];
                d[5] = types[rng.Next(types.Length)];
                break;
            default:
                break;
        }
    });
}

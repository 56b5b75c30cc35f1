using System.Diagnostics;
using BareMetal.Provisioning.Core.Security;

namespace BareMetal.Provisioning.Tests.Security;

/// <summary>
/// /proc/net/arp is the kernel's, but its parser gets a fuzz target like every parser: mutated tables never
/// throw, and every entry it keeps is a complete IPv4 entry with a normalised MAC. Bounded by count and time.
/// </summary>
public class NeighbourTableFuzzTests
{
    private const string Seed = "IP address HW type Flags HW address Mask Device\n10.0.0.1 0x1 0x2 52:54:00:00:00:01 * eth0\n10.0.0.2 0x1 0x0 00:00:00:00:00:00 * eth0\n";

    [Test]
    public void MutatedTables_NeverThrow_AndKeepOnlyCompleteEntries()
    {
        var rng = new Random(2026);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 50_000 && clock.Elapsed < TimeSpan.FromSeconds(10); i++)
        {
            var chars = Seed.ToCharArray();
            for (var e = rng.Next(1, 10); e > 0; e--)
            {
                chars[rng.Next(chars.Length)] = (char)rng.Next(0, 128);
            }
            foreach (var entry in NeighbourTable.Parse(new string(chars)))
            {
                Assert.That(entry.Address.AddressFamily, Is.EqualTo(System.Net.Sockets.AddressFamily.InterNetwork));
                Assert.That(entry.Mac, Does.Match("^([0-9a-f]{2}:){5}[0-9a-f]{2}$"));
            }
        }
    }
}

using System.Diagnostics;
using BareMetal.ImageStore.Nbd.Exports;

namespace BareMetal.Fuzz.Tests.Isolation;

/// <summary>
/// Every front-end hands client-chosen export names to <see cref="ExportName.TryParse(string?, out ExportName)"/>:
/// random and mutated names never throw, and whatever parses prints back (without its key) to a name
/// that parses to the same base and node. Bounded by count and time.
/// </summary>
public class ExportNameFuzzTests
{
    private const int Iterations = 200_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(10);
    private const string Alphabet = "abcXYZ019.-_@~/\\:%\0 é\u202e";

    [Test]
    public void RandomNames_NeverThrow_AndRoundTrip()
    {
        var rng = new Random(1616);
        var seeds = new[] { "debian.v3@525400123456~abcdef", "a@b", "x.v1", "" };
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < Iterations && clock.Elapsed < Budget; i++)
        {
            var chars = (rng.Next(3) == 0 ? seeds[rng.Next(seeds.Length)] : "").ToCharArray().ToList();
            var edits = rng.Next(1, 8);
            for (var e = 0; e < edits; e++)
            {
                var c = Alphabet[rng.Next(Alphabet.Length)];
                if (chars.Count > 0 && rng.Next(2) == 0)
                {
                    chars[rng.Next(chars.Count)] = c;
                }
                else
                {
                    chars.Insert(rng.Next(chars.Count + 1), c);
                }
            }
            if (rng.Next(50) == 0)
            {
                chars.AddRange(Enumerable.Repeat('a', rng.Next(150, 300)));
            }
            var text = new string([.. chars]);
            if (ExportName.TryParse(text, out var name))
            {
                Assert.That(ExportName.TryParse(name.Canonical, out var again), Is.True, text);
                Assert.That((again.Base, again.Node, again.Key), Is.EqualTo((name.Base, name.Node, (string?)null)), text);
                Assert.That(name.Canonical, Does.Not.Contain("/").And.Not.Contain("\\").And.Not.Contain("\0"), text);
            }
        }
    }
}

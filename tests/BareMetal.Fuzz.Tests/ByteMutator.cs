namespace BareMetal.Fuzz.Tests;

/// <summary>
/// The byte-level edits the datagram fuzzers share: 1 to 4 edits, each a bit flip, a random byte, a
/// truncation or random bytes appended; any other choice (or a generic one that does not apply, such as a
/// flip on an empty packet) goes to the protocol's own edits, which know where its length and type fields are.
/// </summary>
internal static class ByteMutator
{
    /// <param name="choices">How many edit kinds there are: 0..3 are the generic ones, the rest the protocol's.</param>
    /// <param name="maxAppend">Most random bytes appended at once.</param>
    /// <param name="protocolEdit">Applies edit kind <c>choice</c> (or does nothing) to the packet being built.</param>
    public static byte[] Mutate(byte[] seed, Random rng, int choices, int maxAppend, Action<int, List<byte>, Random> protocolEdit)
    {
        var d = new List<byte>(seed);
        var n = 1 + rng.Next(4);
        for (var k = 0; k < n; k++)
        {
            var choice = rng.Next(choices);
            switch (choice)
            {
                case 0 when d.Count > 0:
                    d[rng.Next(d.Count)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1 when d.Count > 0:
                    d[rng.Next(d.Count)] = (byte)rng.Next(256);
                    break;
                case 2:
                    var cut = rng.Next(d.Count + 1);
                    d.RemoveRange(cut, d.Count - cut);
                    break;
                case 3:
                    d.AddRange(Enumerable.Range(0, rng.Next(maxAppend)).Select(_ => (byte)rng.Next(256)));
                    break;
                default:
                    protocolEdit(choice, d, rng);
                    break;
            }
        }
        return [.. d];
    }
}

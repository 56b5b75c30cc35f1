using System.Buffers.Binary;

namespace BareMetal.Fuzz.Tests.Vmdk;

/// <summary>Deterministic byte mutations biased to what breaks parsers: boundary integers in length and offset fields.</summary>
public sealed class Mutator(int seed)
{
    private static readonly ulong[] Interesting =
    [
        0, 1, 2, 3, 7, 8, 0x10, 0x1F, 0x20, 0x7F, 0x80, 0xFF, 0x100, 0x1FF, 0x200, 0x201, 0x7FF, 0x800, 0xFFFF, 0x10000,
        0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF, 0x100000000, 1UL << 40, 1UL << 53, 1UL << 62, long.MaxValue, ulong.MaxValue,
    ];

    private readonly Random _rng = new(seed);

    public Random Random => _rng;

    /// <summary>A mutated copy of <paramref name="seedBytes"/>; mutations focus on [focusStart, focusEnd) when given.</summary>
    public byte[] Mutate(byte[] seedBytes, int focusStart = 0, int focusEnd = -1)
    {
        var b = (byte[])seedBytes.Clone();
        if (focusEnd < 0 || focusEnd > b.Length)
        {
            focusEnd = b.Length;
        }
        var span = focusEnd - focusStart;
        var rounds = 1 + _rng.Next(4);
        for (var r = 0; r < rounds && span > 0; r++)
        {
            var at = focusStart + _rng.Next(span);
            switch (_rng.Next(7))
            {
                case 0:
                    b[at] ^= (byte)(1 << _rng.Next(8));
                    break;
                case 1:
                    b[at] = (byte)_rng.Next(256);
                    break;
                case 2 when at + 2 <= b.Length:
                    BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), unchecked((ushort)Pick()));
                    break;
                case 3 when at + 4 <= b.Length:
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), unchecked((uint)Pick()));
                    break;
                case 4 when at + 8 <= b.Length:
                    BinaryPrimitives.WriteUInt64LittleEndian(b.AsSpan(at), Pick());
                    break;
                case 5 when at + 4 <= b.Length:
                    BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), unchecked((uint)Pick()));
                    break;
                case 6 when _rng.Next(8) == 0:
                    return b[..at];   // truncation
                default:
                    b[at] = unchecked((byte)Pick());
                    break;
            }
        }
        return b;
    }

    // Unchecked: the project checks arithmetic, and wrapping around the boundary values is the point.
    private ulong Pick() => _rng.Next(4) == 0 ? (ulong)_rng.NextInt64() : unchecked(Interesting[_rng.Next(Interesting.Length)] + (ulong)(_rng.Next(3) - 1));
}

using System.Buffers.Binary;

namespace BareMetal.ImageStore.Formats.Vhd;

/// <summary>One of the eight 24-byte parent locator entries of a dynamic header (big-endian).</summary>
/// <param name="PlatformCode">Where the locator's bytes came from: see the constants.</param>
/// <param name="DataSpace">Space reserved for the locator, in 512-byte sectors (some writers store bytes).</param>
/// <param name="DataLength">Bytes of locator data actually used.</param>
/// <param name="DataOffset">Absolute file offset of the locator data.</param>
public readonly record struct VhdParentLocator(uint PlatformCode, uint DataSpace, uint DataLength, ulong DataOffset)
{
    /// <summary>Bytes per entry on disk.</summary>
    public const int Size = 24;

    /// <summary>"W2ru": Windows relative path, UTF-16LE.</summary>
    public const uint W2ru = 0x57327275;

    /// <summary>"W2ku": Windows absolute path, UTF-16LE.</summary>
    public const uint W2ku = 0x57326B75;

    /// <summary>"Wi2r" / "Wi2k": deprecated Windows paths (ANSI); we do not resolve them.</summary>
    public const uint Wi2r = 0x57693272;

    public const uint Wi2k = 0x5769326B;

    /// <summary>"Mac ": a Mac OS alias blob (not a path; ignored).</summary>
    public const uint Mac = 0x4D616320;

    /// <summary>"MacX": a file:// URL, UTF-8.</summary>
    public const uint MacX = 0x4D616358;

    public bool IsEmpty => PlatformCode == 0;

    public static VhdParentLocator Parse(ReadOnlySpan<byte> entry) => new(
        BinaryPrimitives.ReadUInt32BigEndian(entry),
        BinaryPrimitives.ReadUInt32BigEndian(entry[4..]),
        BinaryPrimitives.ReadUInt32BigEndian(entry[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(entry[16..]));

    /// <summary>The platform code as its four ASCII letters.</summary>
    public string CodeName => string.Create(4, PlatformCode, static (s, c) =>
    {
        for (var i = 0; i < 4; i++)
        {
            var b = (char)((c >> (24 - (8 * i))) & 0xff);
            s[i] = char.IsAsciiLetterOrDigit(b) || b == ' ' ? b : '?';
        }
    });
}

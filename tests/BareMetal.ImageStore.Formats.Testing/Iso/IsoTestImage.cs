using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Testing.Iso;

/// <summary>
/// A tiny hand-laid ISO 9660 image with a known layout, for unit and hostile tests (the interop tests
/// use xorriso). Sectors: 16 PVD, 17 El Torito boot record, 18 Joliet SVD, 19 terminator, 20 boot
/// catalog, 21 primary root, 22 primary DIR, 23 Joliet root, 24 HELLO.TXT, 25-26 MULTI.BIN (two
/// extents), 27 boot image, 28 EFI image.
/// </summary>
public static class IsoTestImage
{
    public const int Sector = 2048;
    public const int Sectors = 29;
    public const int PrimaryRoot = 21;
    public const int PrimaryDir = 22;
    public const int JolietRoot = 23;
    public const int Catalog = 20;
    public static readonly byte[] Hello = Encoding.ASCII.GetBytes("hello from the iso\n");

    public static byte[] Build(bool joliet = true, bool elTorito = true)
    {
        var img = new byte[Sectors * Sector];
        Descriptor(img, 16, 1, joliet: false);
        if (elTorito)
        {
            var br = img.AsSpan(17 * Sector);
            br[0] = 0;
            "CD001"u8.CopyTo(br[1..]);
            br[6] = 1;
            "EL TORITO SPECIFICATION"u8.CopyTo(br[7..]);
            BinaryPrimitives.WriteUInt32LittleEndian(br[71..], Catalog);
            WriteCatalog(img.AsSpan(Catalog * Sector));
        }
        else
        {
            Descriptor(img, 17, 3, false);   // a partition descriptor: ignored
        }
        if (joliet)
        {
            Descriptor(img, 18, 2, joliet: true);
        }
        else
        {
            Descriptor(img, 18, 3, false);
        }
        var term = img.AsSpan(19 * Sector);
        term[0] = 255;
        "CD001"u8.CopyTo(term[1..]);
        term[6] = 1;

        var root = new List<byte[]>
        {
            Record([0], PrimaryRoot, Sector, 2),
            Record([1], PrimaryRoot, Sector, 2),
            Record(A("DIR"), PrimaryDir, Sector, 2),
            Record(A("HELLO.TXT;1"), 24, (uint)Hello.Length, 0),
            Record(A("MULTI.BIN;1"), 25, Sector, 0x80),
            Record(A("MULTI.BIN;1"), 26, 100, 0),
        };
        Place(img, PrimaryRoot, root);
        Place(img, PrimaryDir, [Record([0], PrimaryDir, Sector, 2), Record([1], PrimaryRoot, Sector, 2), Record(A("README.;1"), 24, (uint)Hello.Length, 0)]);
        Place(img, JolietRoot,
        [
            Record([0], JolietRoot, Sector, 2),
            Record([1], JolietRoot, Sector, 2),
            Record(J("Hello World.txt;1"), 24, (uint)Hello.Length, 0),
            Record(J("Long Joliet Name With Spaces.bin;1"), 25, Sector, 0x80),
            Record(J("Long Joliet Name With Spaces.bin;1"), 26, 100, 0),
        ]);
        Hello.CopyTo(img, 24 * Sector);
        for (var i = 0; i < Sector + 100; i++)
        {
            img[(25 * Sector) + i] = (byte)(i % 251);
        }
        img.AsSpan(27 * Sector, Sector).Fill(0xB0);
        img.AsSpan(28 * Sector, Sector).Fill(0xEF);
        return img;
    }

    /// <summary>The expected bytes of MULTI.BIN.</summary>
    public static byte[] Multi() => [.. Enumerable.Range(0, Sector + 100).Select(i => (byte)(i % 251))];

    private static byte[] A(string s) => Encoding.ASCII.GetBytes(s);

    private static byte[] J(string s) => Encoding.BigEndianUnicode.GetBytes(s);

    private static void Descriptor(byte[] img, int sector, byte type, bool joliet)
    {
        var d = img.AsSpan(sector * Sector, Sector);
        d[0] = type;
        "CD001"u8.CopyTo(d[1..]);
        d[6] = 1;
        if (type == 3)
        {
            return;
        }
        d.Slice(40, 32).Fill((byte)' ');
        if (joliet)
        {
            J("JVOL            ").CopyTo(d[40..]);
            "%/E"u8.CopyTo(d[88..]);
        }
        else
        {
            "TESTVOL"u8.CopyTo(d[40..]);
        }
        BothEndian32(d[80..], Sectors);
        BinaryPrimitives.WriteUInt16LittleEndian(d[128..], Sector);
        BinaryPrimitives.WriteUInt16BigEndian(d[130..], Sector);
        Record([0], joliet ? (uint)JolietRoot : PrimaryRoot, Sector, 2).CopyTo(d[156..]);
    }

    public static byte[] Record(byte[] name, uint lba, uint length, byte flags)
    {
        var len = 33 + name.Length + ((name.Length & 1) == 0 ? 1 : 0);
        var r = new byte[len];
        r[0] = (byte)len;
        BothEndian32(r.AsSpan(2), lba);
        BothEndian32(r.AsSpan(10), length);
        r[18] = 124;   // 2024
        r[19] = 5;
        r[20] = 17;
        r[21] = 12;
        r[22] = 30;
        r[23] = 0;
        r[24] = 0;
        r[25] = flags;
        r[28] = 1;
        r[31] = 1;
        r[32] = (byte)name.Length;
        name.CopyTo(r, 33);
        return r;
    }

    private static void Place(byte[] img, int sector, List<byte[]> records)
    {
        var pos = sector * Sector;
        foreach (var r in records)
        {
            r.CopyTo(img, pos);
            pos += r.Length;
        }
    }

    private static void BothEndian32(Span<byte> at, uint v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(at, v);
        BinaryPrimitives.WriteUInt32BigEndian(at[4..], v);
    }

    private static void WriteCatalog(Span<byte> c)
    {
        // Validation entry: header 1, platform x86, id, checksum, 0x55 0xAA.
        c[0] = 1;
        c[1] = 0;
        "TEST"u8.CopyTo(c[4..]);
        c[30] = 0x55;
        c[31] = 0xAA;
        FixChecksum(c);
        // Default entry: bootable, no emulation, load segment 0, 4 sectors at 27.
        c[32] = 0x88;
        BinaryPrimitives.WriteUInt16LittleEndian(c[(32 + 6)..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(c[(32 + 8)..], 27);
        // Final section header for EFI with one entry.
        c[64] = 0x91;
        c[65] = 0xEF;
        BinaryPrimitives.WriteUInt16LittleEndian(c[66..], 1);
        c[96] = 0x88;
        BinaryPrimitives.WriteUInt16LittleEndian(c[(96 + 6)..], 8);
        BinaryPrimitives.WriteUInt32LittleEndian(c[(96 + 8)..], 28);
    }

    public static void FixChecksum(Span<byte> validation)
    {
        validation[28] = 0;
        validation[29] = 0;
        ushort sum = 0;
        for (var i = 0; i < 32; i += 2)
        {
            sum = unchecked((ushort)(sum + BinaryPrimitives.ReadUInt16LittleEndian(validation[i..])));
        }
        BinaryPrimitives.WriteUInt16LittleEndian(validation[28..], unchecked((ushort)(0 - sum)));
    }
}

using System.Buffers.Binary;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;

namespace BareMetal.ImageStore.Formats.Tests.Qcow2;

/// <summary>Small qcow2 images made by our writer, and byte patches that break them in specific ways.</summary>
internal static class Qcow2TestImage
{
    /// <summary>Header field offsets (qcow2.rst) the tests patch.</summary>
    public const int ClusterBitsField = 20;
    public const int SizeField = 24;
    public const int CryptField = 32;
    public const int L1SizeField = 36;
    public const int L1OffsetField = 40;
    public const int IncompatibleField = 72;

    /// <summary>A 1 MiB image with 4 KiB clusters and three written clusters (0x11 at 0, 0x22 at 64 KiB, 0x33 at 512 KiB).</summary>
    public static void Create(string path, int clusterSize = 4096, long size = 1 << 20)
    {
        using var disk = Qcow2Writer.Create(path, size, clusterSize);
        disk.Write(0, Fill(clusterSize, 0x11));
        disk.Write(64 << 10, Fill(clusterSize, 0x22));
        disk.Write(512 << 10, Fill(clusterSize, 0x33));
        disk.Flush();
    }

    public static byte[] Fill(int length, byte value)
    {
        var b = new byte[length];
        b.AsSpan().Fill(value);
        return b;
    }

    public static void PatchU32(string path, long offset, uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        Patch(path, offset, b);
    }

    public static void PatchU64(string path, long offset, ulong value)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        Patch(path, offset, b);
    }

    public static ulong ReadU64(string path, long offset)
    {
        using var f = File.OpenRead(path);
        var b = new byte[8];
        f.Position = offset;
        f.ReadExactly(b);
        return BinaryPrimitives.ReadUInt64BigEndian(b);
    }

    public static void Patch(string path, long offset, byte[] bytes)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Write);
        f.Position = offset;
        f.Write(bytes);
    }

    /// <summary>Opens, reads everything and maps: whatever goes wrong must surface as ImageFormatException.</summary>
    public static void OpenReadAll(string path)
    {
        using var disk = DiskImage.Open(path);
        var buf = new byte[1 << 16];
        for (long pos = 0; pos < disk.Length; pos += buf.Length)
        {
            var n = (int)Math.Min(buf.Length, disk.Length - pos);
            disk.Read(pos, buf.AsSpan(0, n));
        }
        _ = disk.Map().ToList();
    }
}

using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Raw;

namespace BareMetal.ImageStore.Nbd.Tests;

internal static class TestDisks
{
    /// <summary>
    /// A sparse raw file of <paramref name="size"/> bytes: 0x5a at [1 MiB, 1 MiB + 192 KiB) and 0x01 at
    /// [9 MiB, 9 MiB + 4 KiB) when the size allows; the rest is holes.
    /// </summary>
    public static string CreateSparse(string path, long size = 16 << 20)
    {
        using (var f = new FileStream(path, FileMode.Create, FileAccess.ReadWrite))
        {
            f.SetLength(size);
            if (size >= (1 << 20) + 196608)
            {
                f.Position = 1 << 20;
                f.Write(Enumerable.Repeat((byte)0x5a, 196608).ToArray());
            }
            if (size >= (9 << 20) + 4096)
            {
                f.Position = 9 << 20;
                f.Write(Enumerable.Repeat((byte)0x01, 4096).ToArray());
            }
        }
        return path;
    }

    public static VirtualDisk OpenRaw(string path, bool writable) =>
        new RawDisk(FileSource.Open(path, writable), ImageFormat.Raw, writable);
}

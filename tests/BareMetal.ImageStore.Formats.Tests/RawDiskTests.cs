using BareMetal.ImageStore.Formats;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Formats.Tests;

public class RawDiskTests
{
    [Test]
    public void Read_ReturnsFileBytes_AndHolesReadAsZero()
    {
        using var dir = new TempDir();
        var path = dir.File("disk.raw");
        var data = new byte[8192];
        new Random(1).NextBytes(data);
        using (var f = File.Create(path))
        {
            f.SetLength(1 << 20);
            f.Position = 65536;
            f.Write(data);
        }
        using var disk = DiskImage.Open(path);
        Assert.That(disk.Format, Is.EqualTo(ImageFormat.Raw));
        Assert.That(disk.Length, Is.EqualTo(1 << 20));
        var buf = new byte[16384];
        disk.Read(65536 - 4096, buf);
        Assert.That(buf.AsSpan(0, 4096).ContainsAnyExcept((byte)0), Is.False);
        Assert.That(buf.AsSpan(4096, 8192).SequenceEqual(data), Is.True);
        Assert.That(buf.AsSpan(12288).ContainsAnyExcept((byte)0), Is.False);
    }

    [Test]
    public void Map_ReportsHolesAsZeroAndDataWithOffsets()
    {
        using var dir = new TempDir();
        var path = dir.File("disk.raw");
        using (var f = File.Create(path))
        {
            f.SetLength(4 << 20);
            f.Position = 1 << 20;
            f.Write(new byte[65536].Select(_ => (byte)7).ToArray());
        }
        using var disk = DiskImage.Open(path);
        var map = disk.Map().ToList();
        var data = map.Where(e => e.Data).ToList();
        Assert.That(data, Has.Count.EqualTo(1));
        Assert.That(data[0].Start, Is.LessThanOrEqualTo(1 << 20));
        Assert.That(data[0].End, Is.GreaterThanOrEqualTo((1 << 20) + 65536));
        Assert.That(data[0].Offset, Is.EqualTo(data[0].Start));
        Assert.That(map.Sum(e => e.Length), Is.EqualTo(4 << 20));
        Assert.That(map.Where(e => !e.Data).All(e => e.Zero && e.Present), Is.True);
    }

    [Test]
    public void Read_PastEnd_Throws()
    {
        using var dir = new TempDir();
        var path = dir.File("disk.raw");
        File.WriteAllBytes(path, new byte[4096]);
        using var disk = DiskImage.Open(path);
        Assert.Throws<ArgumentOutOfRangeException>(() => disk.Read(4000, new byte[200]));
    }

    [Test]
    public void Write_OnReadOnlyImage_IsRefusedWithReadOnlyReason()
    {
        using var dir = new TempDir();
        var path = dir.File("disk.raw");
        File.WriteAllBytes(path, new byte[4096]);
        using var disk = DiskImage.Open(path);
        var e = Assert.Throws<ImageFormatException>(() => disk.Write(0, new byte[512]));
        Assert.That(e!.Reason, Is.EqualTo(ImageError.ReadOnly));
    }
}

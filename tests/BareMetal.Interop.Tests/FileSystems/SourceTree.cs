using System.Security.Cryptography;
using BareMetal.ImageStore.Formats.FileSystems;

namespace BareMetal.Interop.Tests.FileSystems;

/// <summary>Source trees that real mkfs tools copy into images, and the comparison of what our readers see with them.</summary>
internal static class SourceTree
{
    public const string PrettyName = "Debian GNU/Linux 12 (bookworm)";
    public const string KernelVersion = "6.1.0-13-amd64";

    /// <summary>An OS-like tree: /etc/os-release, /boot with kernel and initrd and the /vmlinuz symlinks, files of awkward sizes, symlinks.</summary>
    public static string MakeOs(string root, int seed = 1)
    {
        var rng = new Random(seed);
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        Directory.CreateDirectory(Path.Combine(root, "boot", "grub"));
        Directory.CreateDirectory(Path.Combine(root, "usr", "lib"));
        File.WriteAllText(Path.Combine(root, "usr", "lib", "os-release"),
            $"PRETTY_NAME=\"{PrettyName}\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n");
        File.CreateSymbolicLink(Path.Combine(root, "etc", "os-release"), "../usr/lib/os-release");
        File.WriteAllBytes(Path.Combine(root, "boot", $"vmlinuz-{KernelVersion}"), Random(rng, 700_001));
        File.WriteAllBytes(Path.Combine(root, "boot", $"initrd.img-{KernelVersion}"), Random(rng, 1_300_017));
        File.WriteAllBytes(Path.Combine(root, "boot", "vmlinuz-5.10.0-9-amd64"), Random(rng, 5000));
        File.WriteAllText(Path.Combine(root, "boot", "grub", "grub.cfg"), "set default=0\n");
        File.CreateSymbolicLink(Path.Combine(root, "vmlinuz"), $"boot/vmlinuz-{KernelVersion}");
        File.CreateSymbolicLink(Path.Combine(root, "initrd.img"), $"boot/initrd.img-{KernelVersion}");
        foreach (var size in (int[])[0, 1, 59, 60, 61, 100, 1023, 1024, 1025, 4095, 4096, 4097, 13 * 4096, 300_000])
        {
            File.WriteAllBytes(Path.Combine(root, $"size-{size}.bin"), Random(rng, size));
        }
        return root;
    }

    /// <summary>A deep chain of directories, long and short symlinks (fast and slow), a dangling one, and a directory symlink.</summary>
    public static void AddLinksAndDepth(string root, int depth = 40)
    {
        var d = root;
        for (var i = 0; i < depth; i++)
        {
            d = Path.Combine(d, $"d{i}");
        }
        Directory.CreateDirectory(d);
        File.WriteAllText(Path.Combine(d, "bottom.txt"), "the bottom\n");
        File.CreateSymbolicLink(Path.Combine(root, "short-link"), "size-100.bin");
        File.CreateSymbolicLink(Path.Combine(root, "long-link-over-sixty-bytes"), "/" + string.Join('/', Enumerable.Range(0, depth).Select(i => $"d{i}")) + "/bottom.txt");
        File.CreateSymbolicLink(Path.Combine(root, "dangling"), "/no/such/file");
        Directory.CreateSymbolicLink(Path.Combine(root, "bootdir"), "boot");
    }

    /// <summary>A directory of <paramref name="count"/> files (a few thousand makes ext4 index it as an htree).</summary>
    public static void AddManyFiles(string root, int count)
    {
        var dir = Path.Combine(root, "many");
        Directory.CreateDirectory(dir);
        for (var i = 0; i < count; i++)
        {
            File.WriteAllText(Path.Combine(dir, $"file-with-a-longish-name-{i:D5}.txt"), $"{i}\n");
        }
    }

    /// <summary>A sparse file: data at a few offsets, holes between (the last past 64 MiB, so 1 KiB-block maps reach the triple-indirect block).</summary>
    public static void AddSparse(string root, long[] offsets)
    {
        using var f = new FileStream(Path.Combine(root, "sparse.bin"), FileMode.Create);
        var rng = new Random(5);
        foreach (var off in offsets)
        {
            f.Position = off;
            f.Write(Random(rng, 5000));
        }
    }

    /// <summary>Every entry under <paramref name="dir"/>, not following directory symlinks.</summary>
    public static IEnumerable<FileSystemInfo> Enumerate(DirectoryInfo dir)
    {
        foreach (var info in dir.EnumerateFileSystemInfos("*", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            yield return info;
            if (info is DirectoryInfo sub && sub.LinkTarget is null)
            {
                foreach (var inner in Enumerate(sub))
                {
                    yield return inner;
                }
            }
        }
    }

    public static byte[] Random(Random rng, int size)
    {
        var b = new byte[size];
        rng.NextBytes(b);
        return b;
    }

    private static string Sha(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    /// <summary>
    /// Every directory's listing (names and kinds), every file's bytes and every symlink's target on
    /// <paramref name="fs"/> equal the source tree's. Returns how many entries were compared.
    /// </summary>
    public static int AssertMatches(IFileSystemReader fs, string src, bool symlinks = true, Func<string, bool>? ignore = null)
    {
        var compared = 0;
        var walked = fs.Walk("/").Where(w => ignore is null || !ignore(w.Path)).ToDictionary(w => w.Path, w => w.Entry, StringComparer.Ordinal);
        var expected = new Dictionary<string, FileSystemInfo>(StringComparer.Ordinal);
        foreach (var info in Enumerate(new DirectoryInfo(src)))
        {
            var rel = "/" + Path.GetRelativePath(src, info.FullName).Replace('\\', '/');
            if (ignore is not null && ignore(rel))
            {
                continue;
            }
            expected[rel] = info;
        }
        Assert.That(walked.Keys.Order(StringComparer.Ordinal), Is.EqualTo(expected.Keys.Order(StringComparer.Ordinal)), "the walked tree differs from the source");
        foreach (var (rel, info) in expected)
        {
            var entry = walked[rel];
            if (info.LinkTarget is { } target)
            {
                Assert.That(entry.Kind, Is.EqualTo(symlinks ? FileSystemEntryKind.Symlink : FileSystemEntryKind.File), rel);
                if (symlinks)
                {
                    Assert.That(fs.ReadLink(entry), Is.EqualTo(target), rel);
                }
            }
            else if (info is DirectoryInfo)
            {
                Assert.That(entry.Kind, Is.EqualTo(FileSystemEntryKind.Directory), rel);
            }
            else
            {
                Assert.That(entry.Kind, Is.EqualTo(FileSystemEntryKind.File), rel);
                var bytes = File.ReadAllBytes(info.FullName);
                Assert.That(entry.Size, Is.EqualTo(bytes.Length), rel);
                Assert.That(Sha(fs.ReadAllBytes(entry, rel)), Is.EqualTo(Sha(bytes)), rel);
            }
            compared++;
        }
        return compared;
    }
}

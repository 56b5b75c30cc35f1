namespace BareMetal.ImageStore.Formats.FileSystems;

/// <summary>
/// The kernel and initrd an OS in a disk image boots, found in its /boot (or a separate /boot partition):
/// the /vmlinuz and /initrd.img symlinks Debian and Ubuntu keep (in / or /boot) win; otherwise the
/// newest vmlinuz-VERSION with its initrd.img-VERSION (Debian) or initramfs-VERSION.img (Fedora).
/// </summary>
/// <param name="Volume">Where the files are (its <see cref="DiskVolume.Reader"/> reads them).</param>
/// <param name="KernelPath">The kernel's canonical path inside that file system.</param>
/// <param name="InitrdPath">The initrd's canonical path, or null when the OS has none.</param>
/// <param name="Version">The kernel version from the file name ("6.1.0-13-amd64"), or null.</param>
public sealed record BootFiles(DiskVolume Volume, string KernelPath, string? InitrdPath, string? Version)
{
    public IFileSystemReader FileSystem => Volume.Reader!;

    /// <summary>Opens the kernel for reading.</summary>
    public Stream OpenKernel() => FileSystem.OpenRead(KernelPath);

    /// <summary>Opens the initrd for reading (null when there is none).</summary>
    public Stream? OpenInitrd() => InitrdPath is null ? null : FileSystem.OpenRead(InitrdPath);

    /// <summary>The first OS kernel found on the disk (partitions in order), or null when there is none.</summary>
    public static BootFiles? Find(VirtualDisk disk) => FindAll(DiskInspector.Inspect(disk)).FirstOrDefault();

    /// <summary>Every volume's kernel and initrd, in partition order.</summary>
    public static IEnumerable<BootFiles> FindAll(DiskLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        foreach (var v in layout.Volumes)
        {
            if (v.Reader is not { } fs || fs.Type == "iso9660")
            {
                continue;
            }
            if (FindOn(v, fs) is { } found)
            {
                yield return found;
            }
        }
    }

    private static BootFiles? FindOn(DiskVolume v, IFileSystemReader fs)
    {
        // The symlinks first: they name the kernel the OS itself boots by default.
        foreach (var dir in (string[])["/", "/boot"])
        {
            var kernel = Regular(fs, Join(dir, "vmlinuz"));
            if (kernel is not null)
            {
                var initrd = Regular(fs, Join(dir, "initrd.img"));
                return new BootFiles(v, kernel, initrd, VersionOf(kernel));
            }
        }
        // Then the newest versioned kernel in /boot (or at the root of a separate /boot partition).
        foreach (var dir in (string[])["/boot", "/"])
        {
            IReadOnlyList<FileSystemEntry> entries;
            try
            {
                entries = fs.List(dir);
            }
            catch (IOException e) when (e is not FileSystemFormatException)
            {
                continue;
            }
            var kernels = entries.Where(e => e.IsFile && e.Name.StartsWith("vmlinuz-", StringComparison.Ordinal) && !e.Name.EndsWith(".old", StringComparison.Ordinal))
                .Select(e => e.Name["vmlinuz-".Length..])
                .OrderByDescending(ver => ver, VersionComparer.Instance)
                .ToList();
            foreach (var version in kernels)
            {
                string? initrd = null;
                foreach (var name in (string[])[$"initrd.img-{version}", $"initramfs-{version}.img", $"initrd-{version}"])
                {
                    if (entries.Any(e => e.IsFile && e.Name == name))
                    {
                        initrd = Join(dir, name);
                        break;
                    }
                }
                return new BootFiles(v, Join(dir, "vmlinuz-" + version), initrd, version);
            }
        }
        return null;
    }

    private static string Join(string dir, string name) => dir == "/" ? "/" + name : dir + "/" + name;

    private static string? Regular(IFileSystemReader fs, string path)
    {
        try
        {
            var (entry, full) = fs.ResolveWithPath(path);
            return entry.IsFile ? full : null;
        }
        catch (IOException e) when (e is not FileSystemFormatException)
        {
            return null;
        }
    }

    private static string? VersionOf(string path)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        return name.StartsWith("vmlinuz-", StringComparison.Ordinal) ? name["vmlinuz-".Length..] : null;
    }

    /// <summary>Orders "6.1.0-9" before "6.1.0-13": digit runs compare as numbers.</summary>
    private sealed class VersionComparer : IComparer<string>
    {
        public static readonly VersionComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            x ??= "";
            y ??= "";
            int i = 0, j = 0;
            while (i < x.Length && j < y.Length)
            {
                if (char.IsAsciiDigit(x[i]) && char.IsAsciiDigit(y[j]))
                {
                    var si = i;
                    var sj = j;
                    while (i < x.Length && char.IsAsciiDigit(x[i]))
                    {
                        i++;
                    }
                    while (j < y.Length && char.IsAsciiDigit(y[j]))
                    {
                        j++;
                    }
                    var a = x[si..i].TrimStart('0');
                    var b = y[sj..j].TrimStart('0');
                    var c = a.Length != b.Length ? a.Length.CompareTo(b.Length) : string.CompareOrdinal(a, b);
                    if (c != 0)
                    {
                        return c;
                    }
                    continue;
                }
                if (x[i] != y[j])
                {
                    return x[i].CompareTo(y[j]);
                }
                i++;
                j++;
            }
            return (x.Length - i).CompareTo(y.Length - j).CompareTo(0) == 0 ? 0 : (x.Length - i).CompareTo(y.Length - j);
        }
    }
}

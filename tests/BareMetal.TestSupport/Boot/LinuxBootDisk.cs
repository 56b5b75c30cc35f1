using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NUnit.Framework;

namespace BareMetal.TestSupport.Boot;

/// <summary>
/// A small BIOS-bootable raw disk holding a real Linux, built at test time from Debian's own pieces:
/// the kernel of <c>linux-image-amd64</c> (fetched with <c>apt-get download</c>, never committed), a
/// static busybox, an initramfs written here (<see cref="NewcArchive"/>) with the spec's /init and NIC
/// modules, and syslinux on a partitionless FAT file system made without mounting anything
/// (<c>mkfs.vfat</c>, <c>mcopy</c>, <c>syslinux --install</c>). The kernel boots with
/// <c>console=ttyS0</c>, so a test reads /init's output on QEMU's serial log.
/// <para>
/// Everything is cached in <see cref="CacheDirectory"/>: the .deb files, the kernel and modules taken
/// out of them, and each disk under a hash of its inputs, so only the first run pays for the download
/// (about 70 MB) and later runs with the same spec reuse the disk. A missing tool or a download that
/// fails skips the test with what to install (fails under CI, like any missing peer).
/// </para>
/// </summary>
public static class LinuxBootDisk
{
    public const long DefaultSize = 32L << 20;

    /// <summary>Bumped when the disk layout changes, so stale cached disks are not reused.</summary>
    private const int LayoutVersion = 1;

    private const string KernelMetaPackage = "linux-image-amd64";

    private static readonly TimeSpan DownloadLimit = TimeSpan.FromMinutes(5);

    private static readonly Lock Gate = new();

    /// <summary><c>BAREMETAL_TEST_CACHE</c>, else baremetal-test-cache in the temp directory.</summary>
    public static string CacheDirectory { get; } =
        Environment.GetEnvironmentVariable("BAREMETAL_TEST_CACHE") is { Length: > 0 } dir ? dir : Path.Combine(Path.GetTempPath(), "baremetal-test-cache");

    /// <summary>The disk for <paramref name="spec"/>: from the cache, or built now. The file is shared: attach it read-only or copy it.</summary>
    public static string Build(LinuxBootDiskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        lock (Gate)
        {
            var tools = RequireTools();
            var kernel = Kernel(spec.Modules);
            var busybox = StaticBusybox();
            var key = CacheKey(spec, kernel, busybox);
            var disks = Directory.CreateDirectory(Path.Combine(CacheDirectory, "disks")).FullName;
            var disk = Path.Combine(disks, $"linux-{key}.img");
            if (File.Exists(disk))
            {
                return disk;
            }
            Prune(disks, TimeSpan.FromDays(14));
            var work = Directory.CreateTempSubdirectory("bm-linux-disk-").FullName;
            try
            {
                var initrd = Path.Combine(work, "initrd.img");
                File.WriteAllBytes(initrd, Initramfs(spec, kernel, busybox));
                var cfg = Path.Combine(work, "syslinux.cfg");
                File.WriteAllText(cfg, SyslinuxConfig(spec.KernelArguments));
                var image = Path.Combine(work, "disk.img");
                using (var f = File.Create(image))
                {
                    f.SetLength(spec.Size);
                }
                // A partitionless ("superfloppy") FAT: its boot sector is the disk's sector 0, which is
                // what the BIOS (and iPXE's sanboot) loads at 0000:7C00 and runs.
                Check(tools.MkfsVfat, "-n", "BMLINUX", "-i", "b0075eed", image);
                Check(tools.Mcopy, "-i", image, kernel.Vmlinuz, "::vmlinuz");
                Check(tools.Mcopy, "-i", image, initrd, "::initrd.img");
                Check(tools.Mcopy, "-i", image, cfg, "::syslinux.cfg");
                // Writes ldlinux.sys and ldlinux.c32 into the file system through mtools and patches the boot sector.
                Check(tools.Syslinux, "--install", image);
                File.Move(image, disk, overwrite: true);
                return disk;
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    /// <summary>The kernel command line after console=ttyS0.</summary>
    public static string SyslinuxConfig(string kernelArguments)
    {
        ArgumentNullException.ThrowIfNull(kernelArguments);
        if (kernelArguments.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("kernel arguments are one line", nameof(kernelArguments));
        }
        // SERIAL: syslinux's own messages on COM1 too. PROMPT 0 / TIMEOUT 0: boot the default at once.
        // panic=-1 is left out: a panic should stay on the console for the test's failure message.
        return $"""
            SERIAL 0 115200
            DEFAULT linux
            PROMPT 0
            TIMEOUT 0
            LABEL linux
              KERNEL vmlinuz
              INITRD initrd.img
              APPEND console=ttyS0,115200 {kernelArguments}

            """;
    }

    private sealed record Tools(string MkfsVfat, string Mcopy, string Syslinux);

    private static Tools RequireTools() => new(
        Peer.Require("mkfs.vfat", "dosfstools"),
        Peer.Require("mcopy", "mtools"),
        Peer.Require("syslinux", "syslinux syslinux-common"));

    /// <summary>The kernel and the modules taken out of its package.</summary>
    /// <param name="Package">The package file name (name_version_arch.deb): part of the cache key.</param>
    /// <param name="Modules">Module files in load order (dependencies first).</param>
    private sealed record KernelFiles(string Package, string Vmlinuz, IReadOnlyList<string> Modules);

    private static KernelFiles Kernel(IReadOnlyList<string> wanted)
    {
        var package = KernelPackageName();
        var deb = Download(package);
        var root = Directory.CreateDirectory(Path.Combine(CacheDirectory, "kernel", Path.GetFileNameWithoutExtension(deb))).FullName;
        var vmlinuz = Directory.Exists(Path.Combine(root, "boot")) ? Directory.GetFiles(Path.Combine(root, "boot"), "vmlinuz-*").FirstOrDefault() : null;
        if (vmlinuz is null)
        {
            Extract(deb, root, "./boot/vmlinuz-*");
            vmlinuz = Directory.GetFiles(Path.Combine(root, "boot"), "vmlinuz-*").Single();
        }
        // Modules and, round by round, what their .modinfo says they depend on.
        var order = new List<string>();
        var pending = new Queue<string>(wanted.Select(Normalize));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            var round = new List<string>();
            while (pending.TryDequeue(out var name))
            {
                if (seen.Add(name))
                {
                    round.Add(name);
                }
            }
            var missing = round.Where(n => FindModule(root, n) is null).ToList();
            if (missing.Count > 0)
            {
                // Module files spell names with '-' or '_' interchangeably (modprobe treats them alike).
                Extract(deb, root, [.. missing.Select(n => "*/" + n.Replace("_", "[-_]", StringComparison.Ordinal) + ".ko")]);
            }
            foreach (var name in round)
            {
                var file = FindModule(root, name) ?? throw new InvalidOperationException($"{Path.GetFileName(deb)} has no module {name}");
                files[name] = file;
                foreach (var dependency in ModuleDependencies(file))
                {
                    pending.Enqueue(dependency);
                }
            }
        }
        // Dependencies first: a depth-first walk from each wanted module.
        var placed = new HashSet<string>(StringComparer.Ordinal);
        void Place(string name)
        {
            if (!placed.Add(name))
            {
                return;
            }
            foreach (var dependency in ModuleDependencies(files[name]))
            {
                Place(dependency);
            }
            order.Add(files[name]);
        }
        foreach (var name in wanted.Select(Normalize))
        {
            Place(name);
        }
        return new KernelFiles(Path.GetFileName(deb), vmlinuz, order);
    }

    private static string Normalize(string module) => module.Replace('-', '_');

    private static string? FindModule(string root, string name)
    {
        var modules = Path.Combine(root, "lib", "modules");
        return Directory.Exists(modules)
            ? Directory.EnumerateFiles(modules, "*.ko", SearchOption.AllDirectories).FirstOrDefault(f => Normalize(Path.GetFileNameWithoutExtension(f)) == name)
            : null;
    }

    /// <summary>The "depends=" string of a module's .modinfo section (NUL-separated key=value strings).</summary>
    internal static IReadOnlyList<string> ModuleDependencies(string moduleFile)
    {
        var bytes = File.ReadAllBytes(moduleFile);
        var marker = "\0depends="u8;
        var at = bytes.AsSpan().IndexOf(marker);
        if (at < 0)
        {
            return [];
        }
        var value = bytes.AsSpan(at + marker.Length);
        var end = value.IndexOf((byte)0);
        var text = Encoding.ASCII.GetString(end < 0 ? value : value[..end]);
        return [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Normalize)];
    }

    /// <summary>"linux-image-6.1.0-57-amd64": what the meta-package depends on in this machine's apt lists.</summary>
    private static string KernelPackageName()
    {
        var aptCache = Peer.Require("apt-cache", "apt");
        var r = Peer.Run(aptCache, ["depends", KernelMetaPackage], TimeSpan.FromSeconds(60));
        var name = r.StdOut.Split('\n').Select(l => l.Trim())
            .Where(l => l.StartsWith("Depends: linux-image-", StringComparison.Ordinal))
            .Select(l => l["Depends: ".Length..].Trim())
            .FirstOrDefault();
        if (r.ExitCode != 0 || name is null)
        {
            Peer.Missing($"apt-cache knows no {KernelMetaPackage} (exit {r.ExitCode}: {r.StdErr.Trim()}); run apt-get update");
        }
        return name!;
    }

    /// <summary>The package's .deb in the cache, fetched with apt-get download the first time.</summary>
    private static string Download(string package)
    {
        var debs = Directory.CreateDirectory(Path.Combine(CacheDirectory, "debs")).FullName;
        var existing = Directory.GetFiles(debs, package + "_*.deb").Order(StringComparer.Ordinal).LastOrDefault();
        if (existing is not null)
        {
            return existing;
        }
        var aptGet = Peer.Require("apt-get", "apt");
        var r = Peer.Run(aptGet, ["download", "-q", package], DownloadLimit, workingDirectory: debs);
        var fetched = Directory.GetFiles(debs, package + "_*.deb").Order(StringComparer.Ordinal).LastOrDefault();
        if (r.ExitCode != 0 || fetched is null)
        {
            Peer.Missing($"apt-get download {package} failed (exit {r.ExitCode}: {r.StdErr.Trim()}); a Debian mirror is needed once, then the cache in {debs} serves");
        }
        return fetched!;
    }

    private static void Extract(string deb, string destination, params string[] patterns)
    {
        var dpkgDeb = Peer.Require("dpkg-deb", "dpkg");
        var tar = Peer.Require("tar", "tar");
        // dpkg-deb -x would unpack every module (hundreds of MB); tar takes only what is asked for.
        var r = Peer.Run("/bin/sh", ["-c", "deb=$1; tar=$2; dir=$3; dpkg=$4; shift 4; \"$dpkg\" --fsys-tarfile \"$deb\" | \"$tar\" -x -C \"$dir\" --wildcards \"$@\"",
            "sh", deb, tar, destination, dpkgDeb, .. patterns], TimeSpan.FromMinutes(2));
        if (r.ExitCode != 0)
        {
            Assert.Fail($"could not take {string.Join(' ', patterns)} out of {deb} (exit {r.ExitCode}): {r.StdErr.Trim()}");
        }
    }

    /// <summary>A busybox that runs without a dynamic loader (an initramfs has none): the host's when it is static, else busybox-static's.</summary>
    private static string StaticBusybox()
    {
        foreach (var candidate in new[] { "/bin/busybox", "/usr/bin/busybox" })
        {
            if (File.Exists(candidate) && IsStaticElf(candidate))
            {
                return candidate;
            }
        }
        // busybox-static conflicts with the busybox package other interop tests use, so it is not installed: only unpacked.
        var deb = Download("busybox-static");
        var root = Directory.CreateDirectory(Path.Combine(CacheDirectory, "busybox", Path.GetFileNameWithoutExtension(deb))).FullName;
        var binary = Path.Combine(root, "bin", "busybox");
        if (!File.Exists(binary))
        {
            Extract(deb, root, "./bin/busybox");
        }
        return binary;
    }

    /// <summary>True when the ELF file has no PT_INTERP program header (no dynamic loader needed).</summary>
    internal static bool IsStaticElf(string path)
    {
        var b = File.ReadAllBytes(path);
        // ELF64 little-endian only (e_ident: 7F 'E' 'L' 'F', class 2, data 1).
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F' || b[4] != 2 || b[5] != 1)
        {
            return false;
        }
        var phoff = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x20)); // e_phoff
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x36)); // e_phentsize
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x38)); // e_phnum
        for (var i = 0; i < phnum; i++)
        {
            var at = phoff + ((long)i * phentsize);
            if (at < 0 || at + 4 > b.Length)
            {
                return false;
            }
            if (BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)at)) == 3) // PT_INTERP
            {
                return false;
            }
        }
        return true;
    }

    private static byte[] Initramfs(LinuxBootDiskSpec spec, KernelFiles kernel, string busybox)
    {
        var cpio = new NewcArchive();
        foreach (var dir in new[] { "bin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "tmp", "run" })
        {
            cpio.AddDirectory(dir);
        }
        cpio.AddCharacterDevice("dev/console", 5, 1);
        cpio.AddCharacterDevice("dev/null", 1, 3, 0x1b6 /* 0666 */);
        cpio.AddFile("bin/busybox", File.ReadAllBytes(busybox));
        var load = new StringBuilder("# Generated: the modules in dependency order.\n");
        foreach (var module in kernel.Modules)
        {
            var name = Path.GetFileName(module);
            cpio.AddFile("lib/modules/" + name, File.ReadAllBytes(module), 0x1a4 /* 0644 */);
            load.Append(CultureInfo.InvariantCulture, $"/bin/busybox insmod /lib/modules/{name}\n");
        }
        cpio.AddFile("lib/modules/load", load.ToString(), 0x1a4);
        cpio.AddFile("init", spec.Init.Replace("\r\n", "\n", StringComparison.Ordinal));
        return cpio.ToArray();
    }

    private static string CacheKey(LinuxBootDiskSpec spec, KernelFiles kernel, string busybox)
    {
        var text = string.Join('\n', LayoutVersion.ToString(CultureInfo.InvariantCulture), kernel.Package, string.Join(',', kernel.Modules.Select(Path.GetFileName)),
            Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(busybox))), spec.Init, spec.KernelArguments, spec.Size.ToString(CultureInfo.InvariantCulture));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..20].ToLowerInvariant();
    }

    /// <summary>Old disks go: most differ per run only in the test network's addresses.</summary>
    private static void Prune(string disks, TimeSpan age)
    {
        foreach (var f in Directory.GetFiles(disks, "linux-*.img"))
        {
            if (DateTime.UtcNow - File.GetLastWriteTimeUtc(f) > age)
            {
                File.Delete(f);
            }
        }
    }

    private static void Check(string file, params string[] args)
    {
        var r = Peer.Run(file, args, TimeSpan.FromMinutes(2));
        if (r.ExitCode != 0)
        {
            Assert.Fail($"`{r.CommandLine}` exited {r.ExitCode}: {r.StdErr.Trim()} {r.StdOut.Trim()}");
        }
    }
}

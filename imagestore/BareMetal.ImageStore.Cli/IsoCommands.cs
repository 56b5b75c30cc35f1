using System.CommandLine;
using System.Globalization;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.FileSystems;
using BareMetal.ImageStore.Formats.Iso;

namespace BareMetal.ImageStore.Cli;

/// <summary>
/// `baremetal image ls IMAGE[:PARTITION][:/path]` and `baremetal image extract IMAGE[:PARTITION]:/path DEST`:
/// look inside any disk image (raw, qcow2, VHD, VHDX, VMDK) or ISO and copy files out: ext2/3/4 and FAT
/// in partitions or on the whole disk, ISO 9660 (Joliet preferred), e.g. a kernel and initrd. The older
/// `image ls ISO [PATH]` and `image extract ISO PATH DEST` forms keep working. Registered under `image`
/// by ImageCommands.
/// </summary>
internal static class IsoCommands
{
    /// <summary>`image ls IMAGE[:PARTITION][:/path] [PATH] [-R] [--json] [--boot]`.</summary>
    internal static Command Create()
    {
        var image = new Argument<string>("IMAGE") { Description = "The image, optionally with :PARTITION (1-based) and :/path inside it, e.g. disk.qcow2:2:/etc." };
        var path = new Argument<string?>("PATH") { Description = "Directory or file inside the image (the older form; same as IMAGE:/PATH).", DefaultValueFactory = _ => null };
        var recursive = new Option<bool>("-R", "--recursive") { Description = "List subdirectories too." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var boot = new Option<bool>("--boot") { Description = "Print an ISO's El Torito boot catalog instead of files." };
        var cmd = new Command("ls", "List files inside a disk image's file system (ext2/3/4, FAT, ISO 9660), or an ISO's El Torito boot entries.")
        {
            image, path, recursive, json, boot,
        };
        cmd.SetAction(parse =>
        {
            var spec = ImageSpec.Parse(parse.GetValue(image)!, File.Exists);
            var output = Console.Out;
            if (parse.GetValue(boot))
            {
                using var isoDisk = OpenIso(new FileInfo(spec.Image));
                PrintBoot(IsoFileSystem.Open(isoDisk), parse.GetValue(json), output);
                return 0;
            }
            using var disk = ImageCommands.OpenExisting(new FileInfo(spec.Image));
            var fs = DiskInspector.Inspect(disk).Open(spec.Partition);
            var where = spec.Path ?? parse.GetValue(path) ?? "/";
            var entries = parse.GetValue(recursive)
                ? fs.Walk(where).ToList()
                : List(fs, where);
            if (parse.GetValue(json))
            {
                JsonOut.WriteLine(output, w =>
                {
                    w.WriteStartArray();
                    foreach (var (p, e) in entries)
                    {
                        w.WriteStartObject();
                        w.WriteString("path", p);
                        w.WriteString("name", e.Name);
                        w.WriteBoolean("directory", e.IsDirectory);
                        w.WriteString("type", KindName(e.Kind));
                        w.WriteNumber("size", e.Size);
                        w.WriteString("mode", Convert.ToString(e.Mode & 0xFFF, 8).PadLeft(4, '0'));
                        w.WriteString("modified", e.Modified?.ToString("o", CultureInfo.InvariantCulture));
                        if (e.IsSymlink)
                        {
                            w.WriteString("target", fs.ReadLink(e));
                        }
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                });
                return 0;
            }
            foreach (var (p, e) in entries)
            {
                var when = e.Modified?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "????-??-?? ??:??";
                var type = e.Kind switch
                {
                    FileSystemEntryKind.Directory => 'd',
                    FileSystemEntryKind.Symlink => 'l',
                    FileSystemEntryKind.Other => '?',
                    _ => '-',
                };
                var tail = e.IsDirectory ? "/" : e.IsSymlink ? " -> " + fs.ReadLink(e) : "";
                output.WriteLine(FormattableString.Invariant($"{type} {e.Size,12} {when} {p}{tail}"));
            }
            return 0;
        });
        return cmd;
    }

    private static string KindName(FileSystemEntryKind k) => k switch
    {
        FileSystemEntryKind.Directory => "directory",
        FileSystemEntryKind.Symlink => "symlink",
        FileSystemEntryKind.Other => "other",
        _ => "file",
    };

    /// <summary>
    /// `image extract IMAGE[:PARTITION]:/path DEST` (or the older `image extract IMAGE PATH DEST`): a file
    /// to DEST (or into DEST when it is a directory), a directory recursively, symlinks recreated as symlinks.
    /// </summary>
    internal static Command CreateExtract()
    {
        var image = new Argument<string>("IMAGE") { Description = "The image with the path inside it: IMAGE[:PARTITION]:/path." };
        var rest = new Argument<string[]>("DEST") { Description = "Where to write it on the host (the older form: PATH DEST).", Arity = new ArgumentArity(1, 2) };
        var cmd = new Command("extract", "Copy a file or directory out of a disk image's file system or an ISO.") { image, rest };
        cmd.SetAction(async (parse, ct) =>
        {
            var spec = ImageSpec.Parse(parse.GetValue(image)!, File.Exists);
            var args = parse.GetValue(rest)!;
            string source;
            string dest;
            if (args.Length == 2)
            {
                if (spec.Path is not null)
                {
                    throw new CliException($"{parse.GetValue(image)}: the path is given twice");
                }
                (source, dest) = (args[0], args[1]);
            }
            else
            {
                source = spec.Path ?? throw new CliException($"{parse.GetValue(image)}: say which file to extract, as IMAGE[:PARTITION]:/path");
                dest = args[0];
            }
            using var disk = ImageCommands.OpenExisting(new FileInfo(spec.Image));
            var fs = DiskInspector.Inspect(disk).Open(spec.Partition);
            await ExtractAsync(fs, source, Path.GetFullPath(dest), ct);
            return 0;
        });
        return cmd;
    }

    private static async Task ExtractAsync(IFileSystemReader fs, string source, string target, CancellationToken ct)
    {
        var (entry, full) = fs.ResolveWithPath(source);
        if (!entry.IsDirectory)
        {
            if (!entry.IsFile)
            {
                throw new CliException($"{fs.Name}: '{full}' is not a regular file");
            }
            var file = Directory.Exists(target) ? Path.Combine(target, entry.Name) : target;
            await CopyOutAsync(fs, entry, file, ct);
            return;
        }
        Directory.CreateDirectory(target);
        var root = target.EndsWith('/') ? target : target + "/";
        // Symlinks are made last, so no file is ever written through one the image planted.
        var links = new List<(string Host, string Target)>();
        foreach (var (p, e) in fs.Walk(full))
        {
            var rel = p[full.Length..].TrimStart('/');
            var host = Path.GetFullPath(Path.Combine(target, rel));
            if (!host.StartsWith(root, StringComparison.Ordinal))
            {
                throw new CliException($"{p}: refusing to write outside {target}");
            }
            switch (e.Kind)
            {
                case FileSystemEntryKind.Directory:
                    Directory.CreateDirectory(host);
                    break;
                case FileSystemEntryKind.File:
                    await CopyOutAsync(fs, e, host, ct);
                    break;
                case FileSystemEntryKind.Symlink:
                    links.Add((host, fs.ReadLink(e)));
                    break;
                default:
                    await Console.Error.WriteLineAsync($"baremetal: {p}: skipped (a device, FIFO or socket)");
                    break;
            }
        }
        foreach (var (host, linkTarget) in links)
        {
            File.CreateSymbolicLink(host, linkTarget);
        }
    }

    private static List<(string Path, FileSystemEntry Entry)> List(IFileSystemReader fs, string where)
    {
        var (entry, full) = fs.ResolveWithPath(where);
        if (!entry.IsDirectory)
        {
            return [(full, entry)];
        }
        var dir = full.TrimEnd('/');
        return [.. fs.List(entry).Select(e => ($"{dir}/{e.Name}", e))];
    }

    private static async Task CopyOutAsync(IFileSystemReader fs, FileSystemEntry entry, string hostPath, CancellationToken ct)
    {
        var part = hostPath + ".part";
        await using (var input = fs.OpenRead(entry))
        await using (var output = File.Create(part))
        {
            await input.CopyToAsync(output, 1 << 20, ct);
        }
        if (!OperatingSystem.IsWindows())
        {
            // Permission bits only: never set-uid/set-gid/sticky from an image.
            File.SetUnixFileMode(part, (UnixFileMode)(entry.Mode & 0x1FF) | UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        File.Move(part, hostPath, overwrite: true);
    }

    private static void PrintBoot(IsoFileSystem fs, bool json, TextWriter output)
    {
        var cat = fs.BootCatalog;
        if (json)
        {
            JsonOut.WriteLine(output, w =>
            {
                if (cat is null)
                {
                    w.WriteNullValue();
                    return;
                }
                w.WriteStartObject();
                w.WriteNumber("catalog_lba", cat.CatalogLba);
                w.WriteString("id", cat.IdString);
                w.WriteStartArray("entries");
                foreach (var e in cat.Entries)
                {
                    w.WriteStartObject();
                    w.WriteNumber("index", e.Index);
                    w.WriteBoolean("bootable", e.Bootable);
                    w.WriteString("platform", PlatformName(e.Platform));
                    w.WriteString("emulation", EmulationName(e.Emulation));
                    w.WriteNumber("load_segment", e.LoadSegment);
                    w.WriteNumber("system_type", e.SystemType);
                    w.WriteNumber("sector_count", e.SectorCount);
                    w.WriteNumber("load_rba", e.LoadRba);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            });
            return;
        }
        if (cat is null)
        {
            output.WriteLine("no El Torito boot catalog");
            return;
        }
        output.WriteLine(FormattableString.Invariant($"El Torito catalog at sector {cat.CatalogLba}"));
        output.WriteLine("  N  Pltf  B   Emul  Ld_seg  Hdpt  Ldsiz         LBA");
        foreach (var e in cat.Entries)
        {
            output.WriteLine(FormattableString.Invariant(
                $"{e.Index,3}  {PlatformName(e.Platform),-4}  {(e.Bootable ? 'y' : 'n')}  {EmulationName(e.Emulation),5}  0x{e.LoadSegment:x4}  0x{e.SystemType:x2}  {e.SectorCount,5}  {e.LoadRba,10}"));
        }
    }

    /// <summary>The names xorriso's -report_el_torito uses.</summary>
    internal static string PlatformName(ElToritoPlatform p) => p switch
    {
        ElToritoPlatform.X86 => "BIOS",
        ElToritoPlatform.PowerPc => "PPC",
        ElToritoPlatform.Mac => "Mac",
        ElToritoPlatform.Efi => "UEFI",
        _ => FormattableString.Invariant($"0x{(byte)p:x2}"),
    };

    internal static string EmulationName(ElToritoEmulation e) => e switch
    {
        ElToritoEmulation.NoEmulation => "none",
        ElToritoEmulation.Floppy12M => "fd1.2",
        ElToritoEmulation.Floppy144M => "fd1.4",
        ElToritoEmulation.Floppy288M => "fd2.8",
        _ => "hd",
    };

    private static VirtualDisk OpenIso(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new CliException($"{file.FullName}: no such file");
        }
        // Probing says Iso for real images; forcing the format lets hybrid ISOs (with an MBR) be read too.
        return DiskImage.Open(file.FullName, new OpenOptions { Format = ImageFormat.Iso });
    }
}

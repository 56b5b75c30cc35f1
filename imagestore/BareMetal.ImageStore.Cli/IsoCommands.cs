using System.CommandLine;
using System.Globalization;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Iso;

namespace BareMetal.ImageStore.Cli;

/// <summary>
/// `baremetal image ls ISO [PATH]` and `baremetal image extract ISO PATH DEST`: look inside an ISO 9660
/// image (Joliet names preferred) and copy files out, e.g. a kernel and initrd from an installer ISO.
/// Registered under `image` by ImageCommands.
/// </summary>
internal static class IsoCommands
{
    /// <summary>`image ls ISO [PATH] [-R] [--json] [--boot]`.</summary>
    internal static Command Create()
    {
        var iso = new Argument<FileInfo>("ISO") { Description = "The ISO 9660 image." };
        var path = new Argument<string>("PATH") { Description = "Directory or file inside the image.", DefaultValueFactory = _ => "/" };
        var recursive = new Option<bool>("-R", "--recursive") { Description = "List subdirectories too." };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var boot = new Option<bool>("--boot") { Description = "Print the El Torito boot catalog instead of files." };
        var cmd = new Command("ls", "List files inside an ISO 9660 image (Joliet / Rock Ridge names), or its El Torito boot entries.")
        {
            iso, path, recursive, json, boot,
        };
        cmd.SetAction(parse =>
        {
            using var disk = OpenIso(parse.GetValue(iso)!);
            var fs = IsoFileSystem.Open(disk);
            var output = Console.Out;
            if (parse.GetValue(boot))
            {
                PrintBoot(fs, parse.GetValue(json), output);
                return 0;
            }
            var where = parse.GetValue(path) ?? "/";
            var entries = parse.GetValue(recursive)
                ? fs.Walk(where).ToList()
                : List(fs, where);
            if (parse.GetValue(json))
            {
                JsonOut.WriteLine(output, w =>
                {
                    w.WriteStartArray();
                    foreach (var e in entries)
                    {
                        w.WriteStartObject();
                        w.WriteString("path", e.Path);
                        w.WriteString("name", e.Entry.Name);
                        w.WriteBoolean("directory", e.Entry.IsDirectory);
                        w.WriteNumber("size", e.Entry.Size);
                        w.WriteString("modified", e.Entry.Modified?.ToString("o", CultureInfo.InvariantCulture));
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                });
                return 0;
            }
            foreach (var (p, e) in entries)
            {
                var when = e.Modified?.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) ?? "????-??-?? ??:??";
                output.WriteLine(FormattableString.Invariant($"{(e.IsDirectory ? 'd' : '-')} {e.Size,12} {when} {p}{(e.IsDirectory ? "/" : "")}"));
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>`image extract ISO PATH DEST`: a file to DEST (or into DEST when it is a directory), a directory recursively.</summary>
    internal static Command CreateExtract()
    {
        var iso = new Argument<FileInfo>("ISO") { Description = "The ISO 9660 image." };
        var path = new Argument<string>("PATH") { Description = "File or directory inside the image." };
        var dest = new Argument<string>("DEST") { Description = "Where to write it on the host." };
        var cmd = new Command("extract", "Copy a file or directory out of an ISO 9660 image.") { iso, path, dest };
        cmd.SetAction(async (parse, ct) =>
        {
            using var disk = OpenIso(parse.GetValue(iso)!);
            var fs = IsoFileSystem.Open(disk);
            var source = parse.GetValue(path)!;
            var target = Path.GetFullPath(parse.GetValue(dest)!);
            var entry = fs.Stat(source);
            if (!entry.IsDirectory)
            {
                var file = Directory.Exists(target) ? Path.Combine(target, entry.Name) : target;
                await CopyOutAsync(fs, source, file, ct);
                return 0;
            }
            Directory.CreateDirectory(target);
            var prefix = source.TrimEnd('/');
            foreach (var (p, e) in fs.Walk(source))
            {
                // Walk yields resolved paths; rebuild the host path from names only (names never hold '/' or '..').
                var rel = p.Length > prefix.Length && p.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) ? p[prefix.Length..].TrimStart('/') : e.Name;
                var host = Path.GetFullPath(Path.Combine(target, rel));
                if (!host.StartsWith(target, StringComparison.Ordinal))
                {
                    throw new CliException($"{p}: refusing to write outside {target}");
                }
                if (e.IsDirectory)
                {
                    Directory.CreateDirectory(host);
                }
                else
                {
                    await CopyOutAsync(fs, p, host, ct);
                }
            }
            return 0;
        });
        return cmd;
    }

    private static List<(string Path, IsoEntry Entry)> List(IsoFileSystem fs, string where)
    {
        var entry = fs.Stat(where);
        if (!entry.IsDirectory)
        {
            return [(where, entry)];
        }
        var dir = where.TrimEnd('/');
        return [.. fs.List(where).Select(e => ($"{dir}/{e.Name}", e))];
    }

    private static async Task CopyOutAsync(IsoFileSystem fs, string isoPath, string hostPath, CancellationToken ct)
    {
        var part = hostPath + ".part";
        await using (var input = fs.OpenRead(isoPath))
        await using (var output = File.Create(part))
        {
            await input.CopyToAsync(output, 1 << 20, ct);
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

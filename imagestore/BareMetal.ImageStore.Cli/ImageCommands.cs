using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using BareMetal.ImageStore.Formats;

namespace BareMetal.ImageStore.Cli;

/// <summary>
/// `baremetal image info|map|convert|verify|ls|extract`: work on image files, no server needed. The full CLI
/// adds the catalog verbs (import, list) that talk to a server.
/// </summary>
public static class ImageCommands
{
    public static Command Create()
    {
        var image = new Command("image", "Inspect, map, convert and verify disk images (raw, qcow2, VHD, VHDX, VMDK, ISO), and read the file systems inside them.");
        image.Subcommands.Add(Info());
        image.Subcommands.Add(MapCommand());
        image.Subcommands.Add(ImageConvert.Create());
        image.Subcommands.Add(Verify());
        image.Subcommands.Add(IsoCommands.Create());
        image.Subcommands.Add(IsoCommands.CreateExtract());
        return image;
    }

    private static Argument<FileInfo> FileArgument() => new("FILE") { Description = "The image file (format probed from its content)." };

    private static Command Info()
    {
        var file = FileArgument();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text." };
        var cmd = new Command("info", "Format, virtual and allocated size, cluster size, backing chain and features.") { file, json };
        cmd.SetAction(parse =>
        {
            using var disk = OpenExisting(parse.GetValue(file)!);
            var layers = new List<ImageDetails>();
            for (var d = disk; d is not null; d = d.Backing)
            {
                layers.Add(d.Describe());
            }
            var contents = DiskContents.Inspect(disk);
            if (parse.GetValue(json))
            {
                InfoJson(layers, contents, Console.Out);
            }
            else
            {
                Console.Out.Write(InfoText(layers));
                Console.Out.Write(contents.Text());
            }
            return 0;
        });
        return cmd;
    }

    private static Command MapCommand()
    {
        var file = FileArgument();
        var json = new Option<bool>("--json") { Description = "Print the map as `qemu-img map --output=json` does." };
        var cmd = new Command("map", "Show which ranges of the virtual disk hold data, zeros, or fall through to a backing file.") { file, json };
        cmd.SetAction(parse =>
        {
            using var disk = OpenExisting(parse.GetValue(file)!);
            var output = Console.Out;
            if (parse.GetValue(json))
            {
                WriteMapJson(disk.Map(), output);
            }
            else
            {
                output.WriteLine($"{"Offset",-20}{"Length",-20}{"Mapped to",-20}File");
                foreach (var e in disk.Map())
                {
                    if (e.Data && e.Offset is { } off)
                    {
                        output.WriteLine(FormattableString.Invariant($"0x{e.Start,-18:x}0x{e.Length,-18:x}0x{off,-18:x}{LayerPath(disk, e.Depth)}"));
                    }
                }
            }
            return 0;
        });
        return cmd;
    }

    private static Command Verify()
    {
        var file = FileArgument();
        var json = new Option<bool>("--json") { Description = "Print the findings as JSON." };
        var cmd = new Command("verify", "Check an image's structure like `qemu-img check`; exit 2 when it is corrupt, 3 when it only leaks.") { file, json };
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            using var disk = OpenExisting(path);
            var report = disk.Check();
            if (parse.GetValue(json))
            {
                JsonOut.WriteLine(Console.Out, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("filename", path.FullName);
                    w.WriteString("format", ImageFormatException.FormatName(disk.Format));
                    w.WriteNumber("corruptions", report.Corruptions);
                    w.WriteNumber("leaks", report.Leaks);
                    w.WriteNumber("suppressed", report.Suppressed);
                    w.WriteStartArray("findings");
                    foreach (var f in report.Findings)
                    {
                        w.WriteStartObject();
                        w.WriteString("severity", f.Severity.ToString().ToLowerInvariant());
                        w.WriteString("message", f.Message);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteEndObject();
                });
            }
            else
            {
                foreach (var f in report.Findings)
                {
                    Console.Out.WriteLine($"{(f.Severity == CheckSeverity.Corruption ? "ERROR" : "Leaked")}: {f.Message}");
                }
                if (report.Suppressed > 0)
                {
                    Console.Out.WriteLine($"... and {report.Suppressed} more");
                }
                Console.Out.WriteLine(report.IsClean
                    ? $"No errors were found on the image ({path.Name}, {ImageFormatException.FormatName(disk.Format)})."
                    : $"{report.Corruptions} errors and {report.Leaks} leaks were found on the image ({path.Name}).");
            }
            // qemu-img check: 2 = corruptions, 3 = only leaks.
            return report.Corruptions > 0 ? 2 : report.Leaks > 0 ? 3 : 0;
        });
        return cmd;
    }

    internal static VirtualDisk OpenExisting(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new CliException($"{file.FullName}: no such file");
        }
        return DiskImage.Open(file.FullName);
    }

    private static string LayerPath(VirtualDisk top, int depth)
    {
        var d = top;
        for (var i = 0; i < depth && d.Backing is not null; i++)
        {
            d = d.Backing;
        }
        return d.Path;
    }

    /// <summary>Byte-for-byte the layout of `qemu-img map --output=json` (one object per line).</summary>
    internal static void WriteMapJson(IEnumerable<DiskExtent> extents, TextWriter output)
    {
        var first = true;
        output.Write('[');
        foreach (var e in extents)
        {
            if (!first)
            {
                output.Write(",\n");
            }
            first = false;
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture,
                $"{{ \"start\": {e.Start}, \"length\": {e.Length}, \"depth\": {e.Depth}, \"present\": {Bool(e.Present)}, \"zero\": {Bool(e.Zero)}, \"data\": {Bool(e.Data)}");
            if (e.Offset is { } off)
            {
                sb.Append(CultureInfo.InvariantCulture, $", \"offset\": {off}");
            }
            sb.Append('}');
            output.Write(sb.ToString());
        }
        output.Write("]\n");
        static string Bool(bool b) => b ? "true" : "false";
    }

    private static string InfoText(List<ImageDetails> layers)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            if (i > 0)
            {
                sb.Append('\n');
            }
            sb.Append(CultureInfo.InvariantCulture, $"image: {l.Path}\n");
            sb.Append(CultureInfo.InvariantCulture, $"file format: {ImageFormatException.FormatName(l.Format)}\n");
            sb.Append(CultureInfo.InvariantCulture, $"virtual size: {Human(l.VirtualSize)} ({l.VirtualSize} bytes)\n");
            sb.Append(CultureInfo.InvariantCulture, $"disk size: {Human(l.AllocatedSize)}\n");
            if (l.ClusterSize is { } cs)
            {
                sb.Append(CultureInfo.InvariantCulture, $"cluster_size: {cs}\n");
            }
            if (l.Subformat is { } sub)
            {
                sb.Append(CultureInfo.InvariantCulture, $"subformat: {sub}\n");
            }
            if (l.BackingFile is { } bf)
            {
                sb.Append(CultureInfo.InvariantCulture, $"backing file: {bf}\n");
                if (l.BackingFormat is { } bfmt)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"backing file format: {ImageFormatException.FormatName(bfmt)}\n");
                }
            }
            if (l.Features.Count > 0)
            {
                sb.Append("format specific information:\n");
                foreach (var (k, v) in l.Features)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"    {k}: {v}\n");
                }
            }
        }
        return sb.ToString();
    }

    private static void InfoJson(List<ImageDetails> layers, DiskContents contents, TextWriter output) => JsonOut.WriteLine(output, w =>
    {
        // A single image prints as an object (like `qemu-img info`); --backing-chain style lists when there is a chain.
        // The guest's contents (partitions, file systems, OS) go with the top image, which sees the whole chain.
        if (layers.Count == 1)
        {
            Layer(w, layers[0], contents);
            return;
        }
        w.WriteStartObject();
        w.WritePropertyName("image");
        Layer(w, layers[0], contents);
        w.WriteStartArray("backing-chain");
        foreach (var l in layers)
        {
            Layer(w, l, null);
        }
        w.WriteEndArray();
        w.WriteEndObject();

        static void Layer(Utf8JsonWriter w, ImageDetails l, DiskContents? contents)
        {
            w.WriteStartObject();
            w.WriteString("filename", l.Path);
            w.WriteString("format", ImageFormatException.FormatName(l.Format));
            w.WriteNumber("virtual-size", l.VirtualSize);
            w.WriteNumber("actual-size", l.AllocatedSize);
            w.NumberOrNull("cluster-size", l.ClusterSize);
            w.WriteString("subformat", l.Subformat);
            w.WriteString("backing-filename", l.BackingFile);
            w.WriteString("backing-filename-format", l.BackingFormat is { } f ? ImageFormatException.FormatName(f) : null);
            w.WriteStartObject("format-specific");
            foreach (var (k, v) in l.Features)
            {
                w.WriteString(k, v);
            }
            w.WriteEndObject();
            contents?.Json(w);
            w.WriteEndObject();
        }
    });

    internal static string Human(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double v = bytes;
        var u = 0;
        while (v >= 1024 && u < units.Length - 1)
        {
            v /= 1024;
            u++;
        }
        return u == 0 ? FormattableString.Invariant($"{bytes} B") : FormattableString.Invariant($"{v:0.##} {units[u]}");
    }
}

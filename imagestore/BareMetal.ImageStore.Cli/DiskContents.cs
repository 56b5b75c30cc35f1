using System.Globalization;
using System.Text;
using System.Text.Json;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.FileSystems;
using BareMetal.ImageStore.Formats.Partitions;

namespace BareMetal.ImageStore.Cli;

/// <summary>
/// What `image info` adds about the guest's contents: the partition table, each partition (number, type,
/// start, size), the file system on each (type, label, UUID) and the OS its /etc/os-release names. A damaged
/// table or file system is reported in a line, never failing the command (the container is still described).
/// </summary>
internal sealed class DiskContents
{
    private DiskContents(DiskLayout? layout, string? problem, Dictionary<DiskVolume, string?> os)
    {
        Layout = layout;
        Problem = problem;
        Os = os;
    }

    public DiskLayout? Layout { get; }
    public string? Problem { get; }
    public Dictionary<DiskVolume, string?> Os { get; }

    public static DiskContents Inspect(VirtualDisk disk)
    {
        try
        {
            var layout = DiskInspector.Inspect(disk);
            var os = new Dictionary<DiskVolume, string?>();
            foreach (var v in layout.Volumes)
            {
                if (v.Reader is { } fs && fs.Type.StartsWith("ext", StringComparison.Ordinal))
                {
                    try
                    {
                        os[v] = OsRelease.PrettyName(fs);
                    }
                    catch (IOException)
                    {
                        os[v] = null;
                    }
                }
            }
            return new DiskContents(layout, null, os);
        }
        catch (Exception e) when (e is FileSystemFormatException or ImageFormatException)
        {
            return new DiskContents(null, e is FileSystemFormatException f ? $"{f.Format}: {f.Problem}" : ((ImageFormatException)e).Problem, []);
        }
    }

    public string Text()
    {
        var sb = new StringBuilder();
        if (Layout is not { } layout)
        {
            sb.Append(CultureInfo.InvariantCulture, $"contents: not readable ({Problem})\n");
            return sb.ToString();
        }
        if (layout.Table.Kind != PartitionTableKind.None)
        {
            sb.Append(CultureInfo.InvariantCulture, $"partition table: {layout.Table.Label}, id {layout.Table.Id}\n");
            foreach (var note in layout.Table.Notes)
            {
                sb.Append(CultureInfo.InvariantCulture, $"    note: {note}\n");
            }
        }
        foreach (var v in layout.Volumes)
        {
            var indent = "";
            if (v.Partition is { } p)
            {
                sb.Append(CultureInfo.InvariantCulture,
                    $"partition {p.Number}: start {p.StartSector}, size {ImageCommands.Human(p.Length)} ({p.Length} bytes), type {p.TypeName}");
                if (p.Name is { Length: > 0 } name)
                {
                    sb.Append(CultureInfo.InvariantCulture, $", name \"{name}\"");
                }
                if (p.Bootable)
                {
                    sb.Append(", bootable");
                }
                sb.Append('\n');
                indent = "    ";
            }
            if (v.Reader is { } fs)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{indent}filesystem: {fs.Type}");
                if (fs.Label is { } label)
                {
                    sb.Append(CultureInfo.InvariantCulture, $", label \"{label}\"");
                }
                if (fs.Uuid is { } uuid)
                {
                    sb.Append(CultureInfo.InvariantCulture, $", uuid {uuid}");
                }
                sb.Append('\n');
                if (Os.TryGetValue(v, out var os) && os is not null)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"{indent}os: {os}\n");
                }
            }
            else if (v.Slice is not null)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{indent}filesystem: {v.Type ?? "unknown"} ({v.Problem})\n");
            }
        }
        return sb.ToString();
    }

    public void Json(Utf8JsonWriter w)
    {
        if (Layout is not { } layout)
        {
            w.WriteString("contents-problem", Problem);
            return;
        }
        if (layout.Table.Kind == PartitionTableKind.None)
        {
            w.WriteNull("partition-table");
        }
        else
        {
            w.WriteStartObject("partition-table");
            w.WriteString("label", layout.Table.Label);
            w.WriteString("id", layout.Table.Id);
            w.WriteStartArray("notes");
            foreach (var n in layout.Table.Notes)
            {
                w.WriteStringValue(n);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteStartArray("partitions");
        foreach (var v in layout.Volumes)
        {
            if (v.Partition is not { } p)
            {
                continue;
            }
            w.WriteStartObject();
            w.WriteNumber("number", p.Number);
            w.WriteNumber("start", p.Start);
            w.WriteNumber("size", p.Length);
            w.WriteString("type", p.TypeCode);
            w.WriteString("type-name", p.TypeName);
            w.WriteString("uuid", p.UniqueGuid?.ToString("D").ToUpperInvariant());
            w.WriteString("name", p.Name);
            w.WriteBoolean("bootable", p.Bootable);
            w.WritePropertyName("filesystem");
            FileSystem(w, v);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WritePropertyName("filesystem");
        var whole = layout.Volumes.FirstOrDefault(v => v.Partition is null);
        if (whole is null)
        {
            w.WriteNullValue();
        }
        else
        {
            FileSystem(w, whole);
        }
    }

    private void FileSystem(Utf8JsonWriter w, DiskVolume v)
    {
        if (v.Slice is null)
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        w.WriteString("type", v.Type);
        w.WriteString("label", v.Label);
        w.WriteString("uuid", v.Uuid);
        w.WriteString("os", Os.TryGetValue(v, out var os) ? os : null);
        w.WriteString("problem", v.Problem);
        w.WriteEndObject();
    }
}

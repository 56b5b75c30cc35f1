using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Qcow2;

/// <summary>
/// The header extensions between the header and the end of the first cluster (qcow2.rst, "Header
/// extensions"): type, length, data padded to 8 bytes, ended by type 0. Parsing is pure.
/// </summary>
internal sealed class Qcow2Extensions
{
    /// <summary>End of the header extension area.</summary>
    public const uint TypeEnd = 0x00000000;

    /// <summary>Backing file format name string.</summary>
    public const uint TypeBackingFormat = 0xe2792aca;

    /// <summary>Feature name table: 48-byte entries (type, bit, 46-byte name).</summary>
    public const uint TypeFeatureNames = 0x6803f857;

    /// <summary>Bitmaps extension (persistent dirty bitmaps).</summary>
    public const uint TypeBitmaps = 0x23852875;

    /// <summary>Full disk encryption header pointer.</summary>
    public const uint TypeEncryption = 0x0537be77;

    /// <summary>External data file name string.</summary>
    public const uint TypeDataFile = 0x44415441;

    /// <summary>One feature name table entry: type byte, bit byte, 46 name bytes.</summary>
    public const int FeatureNameEntryBytes = 48;

    /// <summary>Size of the bitmaps extension data we read (nb_bitmaps .. bitmap_directory_offset).</summary>
    public const int BitmapsExtensionBytes = 24;

    /// <summary>Longest format name we keep (qemu's are short ASCII words).</summary>
    public const int MaxFormatNameBytes = 32;

    private readonly List<(byte Type, byte Bit, string Name)> _featureNames = [];

    public string? BackingFormat { get; private set; }
    public string? DataFileName { get; private set; }
    public bool HasEncryptionHeader { get; private set; }
    public long BitmapDirectoryOffset { get; private set; }
    public long BitmapDirectorySize { get; private set; }
    public uint BitmapCount { get; private set; }
    public int UnknownCount { get; private set; }

    /// <summary>Byte just after the end marker (where a writer may put the backing file name).</summary>
    public int End { get; private set; }

    public IReadOnlyList<(byte Type, byte Bit, string Name)> FeatureNames => _featureNames;

    public string? FeatureName(byte type, int bit)
    {
        foreach (var f in _featureNames)
        {
            if (f.Type == type && f.Bit == bit)
            {
                return f.Name;
            }
        }
        return null;
    }

    /// <summary>
    /// Parses the extensions in <paramref name="cluster0"/> (the first cluster, or the file when
    /// shorter) from <paramref name="start"/> (the header length).
    /// </summary>
    public static Qcow2Extensions Parse(ReadOnlySpan<byte> cluster0, int start, string path)
    {
        var ext = new Qcow2Extensions();
        var pos = start;
        var seen = new HashSet<uint>();
        while (true)
        {
            if (pos + 8 > cluster0.Length)
            {
                // qemu stops quietly when fewer than 8 bytes remain in the first cluster.
                ext.End = pos;
                return ext;
            }
            var type = BinaryPrimitives.ReadUInt32BigEndian(cluster0[pos..]);
            var length = BinaryPrimitives.ReadUInt32BigEndian(cluster0[(pos + 4)..]);
            pos += 8;
            if (type == TypeEnd)
            {
                ext.End = pos;
                return ext;
            }
            if (length > (uint)(cluster0.Length - pos))
            {
                throw Qcow2Error.Make(path, ImageError.BadHeader,
                    $"header extension 0x{type:x8} at {pos - 8} claims {length} bytes, past the end of the first cluster ({cluster0.Length} bytes)");
            }
            var data = cluster0.Slice(pos, (int)length);
            if (type != TypeFeatureNames && !seen.Add(type))
            {
                throw Qcow2Error.Make(path, ImageError.BadHeader, $"header extension 0x{type:x8} appears twice");
            }
            switch (type)
            {
                case TypeBackingFormat:
                    ext.BackingFormat = ReadName(data, path, "backing format");
                    break;
                case TypeDataFile:
                    ext.DataFileName = Encoding.UTF8.GetString(data[..Math.Min(data.Length, Qcow2Header.MaxBackingNameBytes)]);
                    break;
                case TypeEncryption:
                    ext.HasEncryptionHeader = true;
                    break;
                case TypeFeatureNames:
                    for (var i = 0; i + FeatureNameEntryBytes <= data.Length; i += FeatureNameEntryBytes)
                    {
                        var name = data.Slice(i + 2, FeatureNameEntryBytes - 2);
                        var nul = name.IndexOf((byte)0);
                        ext._featureNames.Add((data[i], data[i + 1], Encoding.ASCII.GetString(nul >= 0 ? name[..nul] : name)));
                    }
                    break;
                case TypeBitmaps:
                    if (data.Length < BitmapsExtensionBytes)
                    {
                        throw Qcow2Error.Make(path, ImageError.BadHeader, $"bitmaps extension is {data.Length} bytes, shorter than {BitmapsExtensionBytes}");
                    }
                    ext.BitmapCount = BinaryPrimitives.ReadUInt32BigEndian(data);
                    ext.BitmapDirectorySize = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(data[8..]), long.MaxValue);
                    ext.BitmapDirectoryOffset = (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(data[16..]), long.MaxValue);
                    break;
                default:
                    ext.UnknownCount++;
                    break;
            }
            // Data is padded to a multiple of 8 bytes; the padding may run past a short file's end.
            pos += (int)((length + 7) & ~7u);
        }
    }

    private static string ReadName(ReadOnlySpan<byte> data, string path, string what)
    {
        if (data.Length > MaxFormatNameBytes)
        {
            throw Qcow2Error.Make(path, ImageError.BadHeader, $"{what} name is {data.Length} bytes, longer than {MaxFormatNameBytes}");
        }
        var nul = data.IndexOf((byte)0);
        return Encoding.ASCII.GetString(nul >= 0 ? data[..nul] : data);
    }

    /// <summary>Maps a qemu driver name ("raw", "qcow2", "vpc" ...) to our format; null for "let the probe decide".</summary>
    public static ImageFormat? FormatFromName(string? name, string path) => name switch
    {
        null or "" => null,
        "raw" or "file" or "host_device" => ImageFormat.Raw,
        "qcow2" => ImageFormat.Qcow2,
        "vpc" => ImageFormat.Vhd,
        "vhdx" => ImageFormat.Vhdx,
        "vmdk" => ImageFormat.Vmdk,
        _ => throw Qcow2Error.Make(path, ImageError.Unsupported, $"backing file format '{name}' is not supported"),
    };

    /// <summary>The qemu driver name of a format, for the backing format extension we write.</summary>
    public static string NameOf(ImageFormat format) => format switch
    {
        ImageFormat.Raw or ImageFormat.Iso => "raw",
        ImageFormat.Qcow2 => "qcow2",
        ImageFormat.Vhd => "vpc",
        ImageFormat.Vhdx => "vhdx",
        ImageFormat.Vmdk => "vmdk",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "no qemu driver name"),
    };
}

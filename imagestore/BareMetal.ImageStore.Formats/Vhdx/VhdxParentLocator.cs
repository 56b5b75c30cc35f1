using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>
/// The parent locator metadata item of a differencing VHDX: a type GUID and UTF-16LE key/value
/// pairs (parent_linkage, relative_path, volume_path, absolute_win32_path).
/// </summary>
public sealed record VhdxParentLocator(Guid LocatorType, IReadOnlyDictionary<string, string> Entries)
{
    private const int HeaderBytes = 20;

    private const int EntryBytes = 12;

    public static VhdxParentLocator Parse(ReadOnlySpan<byte> item, string? path)
    {
        if (item.Length < HeaderBytes)
        {
            throw Fail(path, $"parent locator of {item.Length} bytes is shorter than its {HeaderBytes}-byte header");
        }
        var type = new Guid(item[..16]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(item[18..]);
        if (HeaderBytes + (count * EntryBytes) > item.Length)
        {
            throw Fail(path, $"parent locator claims {count} entries but holds {item.Length} bytes");
        }
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            var e = item.Slice(HeaderBytes + (i * EntryBytes), EntryBytes);
            var key = Text(item, BinaryPrimitives.ReadUInt32LittleEndian(e), BinaryPrimitives.ReadUInt16LittleEndian(e[8..]), path);
            var value = Text(item, BinaryPrimitives.ReadUInt32LittleEndian(e[4..]), BinaryPrimitives.ReadUInt16LittleEndian(e[10..]), path);
            entries[key] = value;
        }
        return new VhdxParentLocator(type, entries);
    }

    private static string Text(ReadOnlySpan<byte> item, uint offset, ushort length, string? path)
    {
        if (offset > (uint)item.Length || length > item.Length - (int)offset || length % 2 != 0)
        {
            throw Fail(path, $"parent locator string at {offset} of {length} bytes lies outside the {item.Length}-byte item");
        }
        return Encoding.Unicode.GetString(item.Slice((int)offset, length));
    }

    private static ImageFormatException Fail(string? path, string problem) =>
        new(path, ImageFormat.Vhdx, ImageError.BadHeader, problem);
}

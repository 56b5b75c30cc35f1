using System.Text;

namespace BareMetal.ImageStore.Formats;

/// <summary>Opens any image we read, probing the format from the content (never the file name).</summary>
public static class DiskImage
{
    /// <summary>Bytes read from the start of a file to recognise its format.</summary>
    private const int ProbeBytes = 1024;

    /// <summary>Where ISO 9660's first volume descriptor ("\x01CD001") sits: sector 16 of 2048.</summary>
    private const int IsoDescriptorOffset = 16 * 2048;

    /// <summary>"QFI\xfb": written as bytes, since a u8 literal would UTF-8-encode the 0xfb.</summary>
    private static ReadOnlySpan<byte> Qcow2Magic => [0x51, 0x46, 0x49, 0xfb];

    public static VirtualDisk Open(string path, OpenOptions? options = null)
    {
        options ??= OpenOptions.ReadOnly;
        var full = System.IO.Path.GetFullPath(path);
        return OpenLayer(full, new OpenContext(options, [full]));
    }

    internal static VirtualDisk OpenLayer(string fullPath, OpenContext context)
    {
        FileSource file;
        try
        {
            file = FileSource.Open(fullPath, context.Writable);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageFormatException(fullPath, context.Options.Format ?? ImageFormat.Raw, ImageError.BadBackingChain,
                $"cannot open: {e.Message}", e);
        }
        try
        {
            var format = context.Options.Format ?? Probe(file);
            return format switch
            {
                ImageFormat.Qcow2 => Qcow2.Qcow2Disk.Open(file, context),
                ImageFormat.Vhd => Vhd.VhdDisk.Open(file, context),
                ImageFormat.Vhdx => Vhdx.VhdxDisk.Open(file, context),
                ImageFormat.Vmdk => Vmdk.VmdkDisk.Open(file, context),
                ImageFormat.Iso => new Raw.RawDisk(file, ImageFormat.Iso, context.Writable),
                _ => new Raw.RawDisk(file, ImageFormat.Raw, context.Writable),
            };
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Recognises a format by its magic numbers. Anything unrecognised is raw.</summary>
    public static ImageFormat Probe(FileSource file)
    {
        Span<byte> head = stackalloc byte[ProbeBytes];
        var n = file.ReadAtMost(0, head);
        return Probe(head[..n], file.Length, off =>
        {
            var buf = new byte[8];
            var got = file.ReadAtMost(off, buf);
            return buf.AsSpan(0, got).ToArray();
        });
    }

    /// <summary>Pure probe over the file's first bytes; <paramref name="readAt"/> fetches 8 bytes elsewhere.</summary>
    public static ImageFormat Probe(ReadOnlySpan<byte> head, long fileLength, Func<long, byte[]> readAt)
    {
        ArgumentNullException.ThrowIfNull(readAt);
        if (head.StartsWith(Qcow2Magic))
        {
            return ImageFormat.Qcow2;
        }
        if (head.StartsWith("vhdxfile"u8))
        {
            return ImageFormat.Vhdx;
        }
        if (head.StartsWith("KDMV"u8))
        {
            return ImageFormat.Vmdk;
        }
        if (head.StartsWith("conectix"u8))
        {
            return ImageFormat.Vhd;
        }
        if (LooksLikeVmdkDescriptor(head))
        {
            return ImageFormat.Vmdk;
        }
        // A fixed VHD is raw data followed by a 512-byte footer (qemu-img probes it as raw; we do not).
        if (fileLength >= 512 && fileLength % 512 == 0 && readAt(fileLength - 512).AsSpan().StartsWith("conectix"u8))
        {
            return ImageFormat.Vhd;
        }
        if (fileLength >= IsoDescriptorOffset + 6 && readAt(IsoDescriptorOffset + 1).AsSpan().StartsWith("CD001"u8))
        {
            return ImageFormat.Iso;
        }
        return ImageFormat.Raw;
    }

    private static bool LooksLikeVmdkDescriptor(ReadOnlySpan<byte> head)
    {
        // qemu accepts a descriptor whose first non-comment lines carry "version=" / "createType=";
        // every VMware and qemu writer starts with this line.
        var text = Encoding.ASCII.GetString(head);
        return text.Contains("# Disk DescriptorFile", StringComparison.Ordinal) ||
               (text.Contains("createType=", StringComparison.Ordinal) && text.Contains("version=", StringComparison.Ordinal));
    }
}

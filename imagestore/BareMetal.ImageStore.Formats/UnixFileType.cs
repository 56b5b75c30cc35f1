using System.Runtime.InteropServices;

namespace BareMetal.ImageStore.Formats;

/// <summary>
/// The file type (regular, directory, device, FIFO ...) and identity (device and inode) of a path, which
/// .NET does not expose. Needed before opening: open(2) on a FIFO blocks until a writer appears, and a
/// device must never be served; the identity tells two names of one file apart from two files.
/// Uses statx(2), whose struct layout is the same on every Linux architecture.
/// </summary>
public static partial class UnixFileType
{
    /// <summary>AT_FDCWD: resolve relative paths against the working directory (ours are absolute).</summary>
    private const int AtFdCwd = -100;

    /// <summary>STATX_TYPE: the S_IFMT bits of stx_mode; STATX_INO: stx_ino.</summary>
    private const uint StatxType = 0x1, StatxIno = 0x100;

    /// <summary>sizeof(struct statx).</summary>
    private const int StatxSize = 256;

    /// <summary>Offset of the u16 stx_mode in struct statx.</summary>
    private const int ModeOffset = 28;

    /// <summary>Offsets of the u64 stx_ino and of the u32 stx_dev_major and stx_dev_minor.</summary>
    private const int InodeOffset = 32, DevMajorOffset = 136, DevMinorOffset = 140;

    /// <summary>S_IFMT and S_IFREG of stat(2).</summary>
    private const int TypeMask = 0xF000, Regular = 0x8000;

    /// <summary>True when <paramref name="path"/> (following symlinks) is a regular file; null when the type cannot be told.</summary>
    public static bool? IsRegularFile(string path)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        return Stat(path, StatxType, buffer) is not { } found
            ? null
            : found && (BitConverter.ToUInt16(buffer[ModeOffset..]) & TypeMask) == Regular;
    }

    /// <summary>The (device, inode) pair naming the file at <paramref name="path"/> (following symlinks); null when it does not exist or cannot be told.</summary>
    public static (ulong Device, ulong Inode)? Identity(string path)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        if (Stat(path, StatxType | StatxIno, buffer) != true)
        {
            return null;
        }
        var device = ((ulong)BitConverter.ToUInt32(buffer[DevMajorOffset..]) << 32) | BitConverter.ToUInt32(buffer[DevMinorOffset..]);
        return (device, BitConverter.ToUInt64(buffer[InodeOffset..]));
    }

    /// <summary>statx(2) into <paramref name="buffer"/>: true when filled, false when the path cannot be stat'ed, null off Linux or without statx.</summary>
    private static bool? Stat(string path, uint mask, Span<byte> buffer)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        try
        {
            return Statx(AtFdCwd, path, 0, mask, ref MemoryMarshal.GetReference(buffer)) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}

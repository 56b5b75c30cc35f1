using System.Runtime.InteropServices;

namespace BareMetal.Pxe.Tftp.Files;

/// <summary>
/// The file type (regular, directory, device, FIFO ...) of a path, which .NET does not expose.
/// Needed before opening: open(2) on a FIFO blocks until a writer appears, and a device must
/// never be served. Uses statx(2), whose struct layout is the same on every Linux architecture.
/// </summary>
internal static partial class UnixFileType
{
    /// <summary>AT_FDCWD: resolve relative paths against the working directory (ours are absolute).</summary>
    private const int AtFdCwd = -100;

    /// <summary>STATX_TYPE: we only need the S_IFMT bits of stx_mode.</summary>
    private const uint StatxType = 0x1;

    /// <summary>sizeof(struct statx).</summary>
    private const int StatxSize = 256;

    /// <summary>Offset of the u16 stx_mode in struct statx.</summary>
    private const int ModeOffset = 28;

    /// <summary>S_IFMT and S_IFREG of stat(2).</summary>
    private const int TypeMask = 0xF000, Regular = 0x8000;

    /// <summary>True when <paramref name="path"/> (following symlinks) is a regular file; null when the type cannot be told.</summary>
    public static bool? IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        Span<byte> buffer = stackalloc byte[StatxSize];
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                return false;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return null;
        }
        var mode = BitConverter.ToUInt16(buffer[ModeOffset..]);
        return (mode & TypeMask) == Regular;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}

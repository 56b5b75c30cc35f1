using System.Runtime.InteropServices;

namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>
/// Whether a path is a regular file, told before it is opened: open(2) on a FIFO blocks until a writer
/// appears, and a device must never be served. .NET does not expose the file type, so this asks
/// statx(2) for STATX_TYPE alone (its struct layout is the same on every Linux architecture).
/// </summary>
internal static partial class RegularFile
{
    /// <summary>AT_FDCWD: a relative path is resolved against the working directory (ours are absolute).</summary>
    private const int AtFdCwd = -100;

    /// <summary>STATX_TYPE: fill the S_IFMT bits of stx_mode.</summary>
    private const uint StatxType = 0x1;

    /// <summary>sizeof(struct statx), and the offset of its u16 stx_mode.</summary>
    private const int StatxSize = 256, ModeOffset = 28;

    /// <summary>S_IFMT and S_IFREG of stat(2).</summary>
    private const int TypeMask = 0xF000, Regular = 0x8000;

    /// <summary>True for a regular file (symlinks followed), false for anything else or a path that cannot be stat'ed; null off Linux.</summary>
    public static bool? Check(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        Span<byte> statx = stackalloc byte[StatxSize];
        try
        {
            return Statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(statx)) == 0
                && (BitConverter.ToUInt16(statx[ModeOffset..]) & TypeMask) == Regular;
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

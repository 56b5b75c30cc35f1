using System.Globalization;
using System.Text;

namespace BareMetal.TestSupport.Boot;

/// <summary>
/// Writes a cpio archive in the "newc" format, the one the Linux kernel unpacks as an initramfs
/// (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a 110-byte ASCII header
/// ("070701" then 13 fields of 8 hex digits), the NUL-terminated name, padding to 4 bytes, the data,
/// padding to 4 bytes; the archive ends with an entry named "TRAILER!!!". Owner root, mtime 0, so the
/// same files give the same bytes. Entries are written in the order added: add a directory before
/// what it holds.
/// </summary>
public sealed class NewcArchive
{
    private const string Magic = "070701";

    // File type bits of st_mode (<sys/stat.h>).
    private const int Directory = 0x4000;
    private const int RegularFile = 0x8000;
    private const int CharacterDevice = 0x2000;

    private readonly MemoryStream _out = new();
    private int _inode = 1;

    public void AddDirectory(string path, int permissions = 0x1ed /* 0755 */) => Add(path, Directory | permissions, [], 2, 0, 0);

    public void AddFile(string path, ReadOnlySpan<byte> data, int permissions = 0x1ed /* 0755 */) => Add(path, RegularFile | permissions, data, 1, 0, 0);

    public void AddFile(string path, string text, int permissions = 0x1ed /* 0755 */) => AddFile(path, Encoding.UTF8.GetBytes(text), permissions);

    /// <summary>A character device node (/dev/console is 5:1), so the kernel can open it before devtmpfs is mounted.</summary>
    public void AddCharacterDevice(string path, int major, int minor, int permissions = 0x180 /* 0600 */) =>
        Add(path, CharacterDevice | permissions, [], 1, major, minor);

    /// <summary>The archive, trailer included.</summary>
    public byte[] ToArray()
    {
        var copy = new MemoryStream();
        _out.Position = 0;
        _out.CopyTo(copy);
        WriteEntry(copy, "TRAILER!!!", 0, [], 1, 0, 0, 0);
        return copy.ToArray();
    }

    private void Add(string path, int mode, ReadOnlySpan<byte> data, int links, int major, int minor)
    {
        var name = path.TrimStart('/');
        if (name.Length == 0 || name.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{path}' is not a relative path inside the archive", nameof(path));
        }
        WriteEntry(_out, name, mode, data, links, major, minor, _inode++);
    }

    private static void WriteEntry(Stream s, string name, int mode, ReadOnlySpan<byte> data, int links, int major, int minor, int inode)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var header = new StringBuilder(Magic);
        // ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize (with NUL), check.
        foreach (var field in new long[] { inode, mode, 0, 0, links, 0, data.Length, 0, 0, major, minor, nameBytes.Length + 1, 0 })
        {
            header.Append(field.ToString("X8", CultureInfo.InvariantCulture));
        }
        s.Write(Encoding.ASCII.GetBytes(header.ToString()));
        s.Write(nameBytes);
        s.WriteByte(0);
        Pad(s);
        s.Write(data);
        Pad(s);
    }

    private static void Pad(Stream s)
    {
        while (s.Position % 4 != 0)
        {
            s.WriteByte(0);
        }
    }
}

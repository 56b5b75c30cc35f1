using Microsoft.Win32.SafeHandles;

namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>A file on disk read with pread(2): no stream position, nothing buffered beyond one block.</summary>
public sealed class FileContent : ITftpContent
{
    private readonly SafeFileHandle _handle;

    public FileContent(SafeFileHandle handle)
    {
        _handle = handle;
        // Fixed at open: a file that grows later is served as it was when the transfer began.
        Length = RandomAccess.GetLength(handle);
    }

    public long Length { get; }

    public int Read(long offset, Span<byte> destination)
    {
        var want = (int)Math.Min(destination.Length, Math.Max(0, Length - offset));
        var done = 0;
        while (done < want)
        {
            var n = RandomAccess.Read(_handle, destination[done..want], offset + done);
            if (n == 0)
            {
                throw new IOException($"file shrank to {offset + done} bytes while being served ({Length} promised)");
            }
            done += n;
        }
        return done;
    }

    public void Dispose() => _handle.Dispose();
}

using BareMetal.Pxe.Tftp.Policy;

namespace BareMetal.Pxe.Tftp.Session;

/// <summary>
/// RFC 1350 netascii as the sender produces it (RFC 764's NVT rules): LF becomes CR LF and a bare CR
/// becomes CR NUL, byte by byte as tftp-hpa does (so a CR LF in the file becomes CR NUL CR LF).
/// The result is built once in memory: its size must be known up front for tsize, and a resend
/// from any block needs positional reads that a streaming conversion could not give.
/// </summary>
public static class NetasciiEncoder
{
    private const byte Cr = (byte)'\r', Lf = (byte)'\n';

    public static byte[] Encode(ReadOnlySpan<byte> source)
    {
        var extra = 0;
        foreach (var b in source)
        {
            if (b is Cr or Lf)
            {
                extra++;
            }
        }
        var result = new byte[source.Length + extra];
        var n = 0;
        foreach (var b in source)
        {
            if (b == Lf)
            {
                result[n++] = Cr;
                result[n++] = Lf;
            }
            else if (b == Cr)
            {
                result[n++] = Cr;
                result[n++] = 0;
            }
            else
            {
                result[n++] = b;
            }
        }
        return result;
    }

    /// <summary>Reads all of <paramref name="content"/> and returns its netascii form; null when longer than <paramref name="limit"/>.</summary>
    public static MemoryContent? Convert(ITftpContent content, int limit)
    {
        if (content.Length > limit)
        {
            return null;
        }
        var raw = new byte[content.Length];
        var done = 0;
        while (done < raw.Length)
        {
            var n = content.Read(done, raw.AsSpan(done));
            if (n == 0)
            {
                throw new IOException("file shrank while being converted to netascii");
            }
            done += n;
        }
        return new MemoryContent(Encode(raw));
    }
}

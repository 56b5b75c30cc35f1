namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>A datagram that is not a valid TFTP packet; <see cref="Reason"/> says why.</summary>
public sealed class TftpProtocolException : Exception
{
    public TftpProtocolException()
        : this(TftpProtocolError.Truncated, "malformed TFTP packet")
    {
    }

    public TftpProtocolException(string message)
        : this(TftpProtocolError.Truncated, message)
    {
    }

    public TftpProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public TftpProtocolException(TftpProtocolError reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public TftpProtocolError Reason { get; }

    /// <summary>Throws with the offending bytes shown escaped (at most 64 of them).</summary>
    internal static TftpProtocolException Create(TftpProtocolError reason, string what, ReadOnlySpan<byte> packet)
        => new(reason, $"{reason}: {what} in \"{Escape(packet)}\"");

    internal static string Escape(ReadOnlySpan<byte> bytes)
    {
        const int Shown = 64;
        var sb = new System.Text.StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, Shown)])
        {
            if (b is >= 0x20 and < 0x7f and not (byte)'\\' and not (byte)'"')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\x{b:x2}");
            }
        }
        if (bytes.Length > Shown)
        {
            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"...(+{bytes.Length - Shown} bytes)");
        }
        return sb.ToString();
    }
}

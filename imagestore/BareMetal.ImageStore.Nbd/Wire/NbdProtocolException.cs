namespace BareMetal.ImageStore.Nbd.Wire;

/// <summary>A client broke the protocol so badly that the only answer is closing the connection.</summary>
public sealed class NbdProtocolException : Exception
{
    public NbdProtocolException(NbdProtocolError reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public NbdProtocolException()
        : this(NbdProtocolError.BadMagic, "bad NBD message")
    {
    }

    public NbdProtocolException(string message)
        : this(NbdProtocolError.BadMagic, message)
    {
    }

    public NbdProtocolException(string message, Exception inner)
        : base(message, inner)
    {
        Reason = NbdProtocolError.BadMagic;
    }

    public NbdProtocolError Reason { get; }

    /// <summary>Shows up to 16 offending bytes as hex, so a log line tells what the client really sent.</summary>
    public static string Show(ReadOnlySpan<byte> bytes) =>
        Convert.ToHexStringLower(bytes[..Math.Min(bytes.Length, 16)]) + (bytes.Length > 16 ? "..." : "");
}

namespace BareMetal.ImageStore.Iscsi.Wire;

/// <summary>An initiator sent bytes that break the protocol; the only exception the codec throws.</summary>
public sealed class IscsiProtocolException : Exception
{
    public IscsiProtocolException(IscsiProtocolError reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public IscsiProtocolException()
        : this(IscsiProtocolError.InvalidField, "bad iSCSI PDU")
    {
    }

    public IscsiProtocolException(string message)
        : this(IscsiProtocolError.InvalidField, message)
    {
    }

    public IscsiProtocolException(string message, Exception inner)
        : base(message, inner)
    {
        Reason = IscsiProtocolError.InvalidField;
    }

    public IscsiProtocolError Reason { get; }

    /// <summary>Shows up to 16 offending bytes as hex, so a log line tells what the initiator really sent.</summary>
    public static string Show(ReadOnlySpan<byte> bytes) =>
        Convert.ToHexStringLower(bytes[..Math.Min(bytes.Length, 16)]) + (bytes.Length > 16 ? "..." : "");
}

namespace BareMetal.ImageStore.Iscsi.Session;

/// <summary>Reject PDU reason codes (RFC 7143 11.17.1).</summary>
public static class RejectReason
{
    public const byte ProtocolError = 0x04;
    public const byte CommandNotSupported = 0x05;
    public const byte TaskInProgress = 0x07;
    public const byte InvalidPduField = 0x09;
}

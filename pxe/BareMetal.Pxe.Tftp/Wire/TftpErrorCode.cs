namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>The error codes of an ERROR packet (RFC 1350 section 5, RFC 2347 for 8).</summary>
public enum TftpErrorCode : ushort
{
    NotDefined = 0,
    FileNotFound = 1,
    AccessViolation = 2,
    DiskFull = 3,
    IllegalOperation = 4,
    UnknownTransferId = 5,
    FileExists = 6,
    NoSuchUser = 7,
    /// <summary>Option negotiation refused (RFC 2347). PXE ROMs also send it to abort after reading tsize.</summary>
    OptionsRefused = 8,
}

namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>Transfer mode of a request (RFC 1350), matched case-insensitively.</summary>
public enum TftpMode
{
    /// <summary>Bytes as they are; what every boot ROM asks for.</summary>
    Octet,
    /// <summary>NVT ASCII: the sender turns LF into CR LF and CR into CR NUL.</summary>
    Netascii,
    /// <summary>Obsolete (RFC 1350 keeps it only for writes); refused.</summary>
    Mail,
}

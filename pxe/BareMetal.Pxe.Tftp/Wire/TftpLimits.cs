namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>Every size limit of the wire format, checked before anything is sliced or allocated.</summary>
public static class TftpLimits
{
    /// <summary>Opcode (2) + block number or error code (2).</summary>
    public const int HeaderSize = 4;

    /// <summary>RFC 1350's block size, used when the client does not negotiate blksize.</summary>
    public const int DefaultBlockSize = 512;

    /// <summary>Smallest blksize RFC 2348 allows.</summary>
    public const int MinBlockSize = 8;

    /// <summary>Largest blksize RFC 2348 allows (it keeps a DATA packet inside one IPv4 or IPv6 datagram).</summary>
    public const int MaxBlockSize = 65464;

    /// <summary>The largest TFTP packet: a DATA header plus a block of <see cref="MaxBlockSize"/> (65468 bytes).</summary>
    public const int MaxPacketSize = MaxBlockSize + HeaderSize;

    /// <summary>Longest file name accepted in a request, in bytes. PXE paths are short; tftp-hpa allows PATH_MAX.</summary>
    public const int MaxFilenameLength = 1024;

    /// <summary>Longest mode string: "netascii" is 8; more is garbage.</summary>
    public const int MaxModeLength = 16;

    /// <summary>Most option pairs in one request or OACK; RFC 2347 clients send 1-4.</summary>
    public const int MaxOptions = 16;

    /// <summary>Longest option name, in bytes ("windowsize" is 10).</summary>
    public const int MaxOptionNameLength = 64;

    /// <summary>Longest option value, in bytes (a decimal tsize is at most 20 digits).</summary>
    public const int MaxOptionValueLength = 256;

    /// <summary>Longest ERROR message we decode or send.</summary>
    public const int MaxErrorMessageLength = 512;

    /// <summary>Largest windowsize RFC 7440 allows (the block-number space, less one).</summary>
    public const int MaxWindowSize = 65535;
}

using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tftp.Session;

/// <summary>What the server is willing to negotiate, and how patient it is.</summary>
public sealed record TftpSessionLimits
{
    /// <summary>Largest blksize granted; a client asking more gets this in the OACK (RFC 2348 allows it).</summary>
    public int MaxBlockSize { get; init; } = TftpLimits.MaxBlockSize;

    /// <summary>Largest windowsize granted (RFC 7440). Beyond ~64 a lost packet costs a long resend.</summary>
    public int MaxWindowSize { get; init; } = 64;

    /// <summary>Retransmission timeout unless the client negotiates one (RFC 2349, whole seconds).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Resends of one window (or OACK) without progress before the transfer is abandoned.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Largest file served in netascii, which is converted in memory (netascii is for small text files).</summary>
    public int MaxNetasciiSize { get; init; } = 16 << 20;

    /// <summary>The blksize that fits one Ethernet frame of <paramref name="mtu"/> bytes: MTU - IP - UDP (8) - TFTP (4).</summary>
    public static int BlockSizeForMtu(int mtu, bool ipv6 = false)
        => Math.Clamp(mtu - (ipv6 ? 40 : 20) - 8 - TftpLimits.HeaderSize, TftpLimits.MinBlockSize, TftpLimits.MaxBlockSize);
}

using System.Net;

namespace BareMetal.Pxe.Tftp.Server;

/// <summary>One transfer, as provisioning sees it: who fetched what, and how it went.</summary>
public sealed class TftpTransferEventArgs(IPEndPoint client, string path, long length, long bytesSent, TftpTransferOutcome outcome, string? reason, TimeSpan elapsed) : EventArgs
{
    public IPEndPoint Client { get; } = client;

    /// <summary>The file name as the client sent it.</summary>
    public string Path { get; } = path;

    /// <summary>Size of the file served (-1 when it was never opened).</summary>
    public long Length { get; } = length;

    /// <summary>DATA payload bytes sent, resends included.</summary>
    public long BytesSent { get; } = bytesSent;

    public TftpTransferOutcome Outcome { get; } = outcome;

    /// <summary>Why it failed or aborted; null when it completed.</summary>
    public string? Reason { get; } = reason;

    public TimeSpan Elapsed { get; } = elapsed;
}

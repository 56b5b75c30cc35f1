using System.Net;
using Microsoft.Extensions.Logging;

namespace BareMetal.Pxe.Tftp.Server;

/// <summary>
/// Every log line of the TFTP server, source-generated. Only the shell logs (the wire and session layers are
/// pure). A boot storm is thousands of transfers: each finished one is one Information line, and what boot
/// loaders do on purpose (GRUB's and PXELINUX's probes for config files that are not there, the PXE ROM's
/// tsize probe, shim's revocations_*.efi) is Debug, never a warning.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "TFTP {Client} RRQ {File} blksize {BlockSize} windowsize {WindowSize}")]
    public static partial void TransferStarted(ILogger logger, IPEndPoint client, string file, int blockSize, int windowSize);

    [LoggerMessage(2, LogLevel.Information, "TFTP {Client} {File}: sent {Bytes} bytes in {Milliseconds} ms")]
    public static partial void TransferCompleted(ILogger logger, IPEndPoint client, string file, long bytes, long milliseconds);

    [LoggerMessage(3, LogLevel.Debug, "TFTP {Client} {File}: ended by the client after the option answer ({Reason})")]
    public static partial void TransferAborted(ILogger logger, IPEndPoint client, string file, string? reason);

    [LoggerMessage(4, LogLevel.Debug, "TFTP {Client} {File}: not found")]
    public static partial void NotFound(ILogger logger, IPEndPoint client, string file);

    [LoggerMessage(5, LogLevel.Warning, "TFTP {Client} {File}: refused with error {Code}: {Reason}")]
    public static partial void Refused(ILogger logger, IPEndPoint client, string file, int code, string? reason);

    [LoggerMessage(6, LogLevel.Warning, "TFTP {Client} {File}: failed after {Bytes} bytes: {Reason}")]
    public static partial void TransferFailed(ILogger logger, IPEndPoint client, string file, long bytes, string? reason);

    [LoggerMessage(7, LogLevel.Debug, "TFTP {Client} RRQ {File} again within {WindowMs} ms: the running transfer answers it")]
    public static partial void DuplicateRequest(ILogger logger, IPEndPoint client, string file, long windowMs);

    [LoggerMessage(8, LogLevel.Debug, "TFTP dropped a packet from {Client}: {Reason}")]
    public static partial void PacketDropped(ILogger logger, IPEndPoint client, string reason);

    [LoggerMessage(9, LogLevel.Warning, "TFTP {Client} RRQ {File}: refused, {Running} transfers running")]
    public static partial void Busy(ILogger logger, IPEndPoint client, string file, int running);

    [LoggerMessage(10, LogLevel.Error, "TFTP request from {Client} failed")]
    public static partial void RequestFailed(ILogger logger, IPEndPoint client, Exception exception);

    [LoggerMessage(11, LogLevel.Debug, "TFTP listening socket: {Error}")]
    public static partial void ListenError(ILogger logger, string error);

    [LoggerMessage(12, LogLevel.Error, "TFTP transfer event handler threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(13, LogLevel.Error, "TFTP {Client} RRQ {File}: opening it threw")]
    public static partial void OpenFailed(ILogger logger, IPEndPoint client, string file, Exception exception);

    [LoggerMessage(14, LogLevel.Warning, "TFTP {Client} {File}: {Problem}")]
    public static partial void TransferProblem(ILogger logger, IPEndPoint client, string file, string problem);

    [LoggerMessage(15, LogLevel.Warning, "TFTP poller: {Problem}")]
    public static partial void PollerProblem(ILogger logger, string problem);
}

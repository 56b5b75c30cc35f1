namespace BareMetal.Pxe.Tftp;

/// <summary>A snapshot of a server's counters since it started.</summary>
public readonly record struct TftpServerCounters(
    long TransfersStarted,
    long TransfersCompleted,
    long TransfersAborted,
    long TransfersFailed,
    long BytesSent,
    long Retransmissions,
    long PacketsDropped,
    int ActiveTransfers);

namespace BareMetal.Pxe.Tftp.Server;

/// <summary>
/// A snapshot of a server's counters since it started. <see cref="SpinsCaught"/> and <see cref="SpinsInVain"/>
/// count the waits for an ACK that polled first (<see cref="TftpServerOptions.SpinBeforeReceive"/>): caught
/// the ACK awake, or gave up and slept.
/// </summary>
public readonly record struct TftpServerCounters(
    long TransfersStarted,
    long TransfersCompleted,
    long TransfersAborted,
    long TransfersFailed,
    long BytesSent,
    long Retransmissions,
    long PacketsDropped,
    int ActiveTransfers,
    long SpinsCaught = 0,
    long SpinsInVain = 0);

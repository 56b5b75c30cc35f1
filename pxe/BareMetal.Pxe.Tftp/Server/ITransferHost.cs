using System.Net;

namespace BareMetal.Pxe.Tftp.Server;

/// <summary>
/// What a <see cref="TftpTransfer"/> needs from its server, and no more: the server's clock, its one timer,
/// and where to report. How a transfer waits for its client (a thread, the poller, async receives) is the
/// server's choice, made after <see cref="TftpTransfer.Start"/>.
/// </summary>
internal interface ITransferHost
{
    /// <summary>Server time: monotonic, from the server's <see cref="TimeProvider"/>.</summary>
    TimeSpan Now { get; }

    /// <summary>Makes sure the deadline check runs no later than <paramref name="deadline"/> (null: nothing awaited).</summary>
    void CheckBy(TimeSpan? deadline);

    /// <summary>The first answer went out (OACK, first window, or a refusal).</summary>
    void OnStarted(TftpTransfer transfer);

    /// <summary>The transfer is over, whatever the outcome; called once.</summary>
    void OnEnded(TftpTransfer transfer);

    /// <summary>A datagram was not for this transfer's session (malformed, too long): logged and counted, the transfer goes on.</summary>
    void OnDropped(IPEndPoint client, string why);

    /// <summary>DATA payload bytes that left, for the live counters.</summary>
    void OnBytesSent(long bytes);
}

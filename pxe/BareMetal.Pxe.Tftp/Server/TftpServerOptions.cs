using BareMetal.Pxe.Tftp.Session;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tftp.Server;

/// <summary>Settings of a <see cref="TftpServer"/>; every one has a default that boots real machines.</summary>
public sealed record TftpServerOptions
{
    /// <summary>Directory served when the server is built without a provider (see <see cref="TftpServer(TftpServerOptions)"/>).</summary>
    public string? Root { get; init; }

    /// <summary>Largest blksize granted. 65464 lets loopback and jumbo-frame clients go fast; set
    /// <see cref="TftpSessionLimits.BlockSizeForMtu"/> to avoid IP fragmentation on a plain 1500-byte LAN.</summary>
    public int MaxBlockSize { get; init; } = TftpLimits.MaxBlockSize;

    /// <summary>Largest RFC 7440 windowsize granted.</summary>
    public int MaxWindowSize { get; init; } = 64;

    /// <summary>
    /// Retransmission timeout unless the client negotiates one; also the window in which an identical RRQ from
    /// the same client port is taken for a retransmission of a running transfer's request.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Resends without progress before a transfer is abandoned.</summary>
    public int MaxRetries { get; init; } = 5;

    /// <summary>Transfers running at once; more requests are answered with an ERROR until one ends.</summary>
    public int MaxConcurrentTransfers { get; init; } = 4096;

    /// <summary>
    /// Transfers that get a thread of their own, blocked in recv: the shortest ACK -> DATA turnaround
    /// (one wake-up, three syscalls per block, as tftpd-hpa). Transfers beyond this many share the
    /// socket engine's async receives, so thousands still cost no thread each. 0 turns threads off.
    /// </summary>
    public int ThreadedTransfers { get; init; } = 8;

    /// <summary>
    /// Threads that wait in epoll for the transfers beyond <see cref="ThreadedTransfers"/> (Linux x86-64), each
    /// answering the ACKs it sees itself: one wake-up per batch of ready sockets. 0 turns them off; those
    /// transfers then use the socket engine's async receives (an epoll thread handing every packet to a pool
    /// worker), as they do on other systems.
    /// </summary>
    public int PollerThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// How long a threaded transfer polls its socket for the client's ACK before sleeping in recv (zero: never
    /// poll). A lock-step client on loopback or a fast LAN answers within this, and catching the ACK awake
    /// saves a thread wake-up per block: on this project's 2-vCPU VM, 2-3x the blocks per second of a server
    /// that sleeps (docs/benchmarks.md). A client slower than this makes the transfer back off (see
    /// SpinGovernor), so a real network costs a spin in up to 64 blocks, not one per block.
    /// </summary>
    public TimeSpan SpinBeforeReceive { get; init; } = TimeSpan.FromMicroseconds(100);

    /// <summary>
    /// Transfers that may poll at the same moment; the others sleep at once. One core is always left to the
    /// clients and the rest of the server, so a one-core machine never polls; and while more transfers than
    /// this run at once, none polls (the cores have work: 50 concurrent clients gained nothing from it).
    /// </summary>
    public int MaxSpinning { get; init; } = Math.Max(0, Environment.ProcessorCount - 1);

    /// <summary>
    /// The closest spacing of two deadline checks. The server's one timer is armed for the earliest transfer
    /// deadline (an idle server never wakes); deadlines within this of each other are checked together.
    /// </summary>
    public TimeSpan TimerResolution { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Clock of every timeout; tests pass a manual one.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal TftpSessionLimits SessionLimits => new()
    {
        MaxBlockSize = MaxBlockSize,
        MaxWindowSize = MaxWindowSize,
        Timeout = Timeout,
        MaxRetries = MaxRetries,
    };
}

using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using BareMetal.Pxe.Tftp.Session;
using BareMetal.Pxe.Tftp.Wire;
using Microsoft.Extensions.Logging;

namespace BareMetal.Pxe.Tftp.Server;

/// <summary>
/// The socket side of one <see cref="TftpReadSession"/>: its own ephemeral UDP port (the transfer ID
/// of RFC 1350), connected to the client so the kernel drops datagrams from anyone else. The first
/// <see cref="TftpServerOptions.ThreadedTransfers"/> transfers at once each get a thread blocked in recv
/// (the fastest turnaround); the others are watched by the server's <see cref="TransferPoller"/> (a few
/// epoll threads for them all), or where there is none, an async receive loop each. The server's one timer does resends (armed for the earliest deadline, see TftpServer.CheckBy). A threaded transfer
/// polls briefly for each ACK before it sleeps (<see cref="TftpServerOptions.SpinBeforeReceive"/>). Every touch of the session
/// holds <see cref="_gate"/>, since the receive loop and the timer run on different threads.
/// </summary>
internal sealed class TftpTransfer
{
    /// <summary>Receive buffer: ACKs are 4 bytes and ERRORs short; anything longer is not for a sender.</summary>
    internal const int ReceiveBufferSize = 1024;

    private readonly ITransferHost _host;
    private readonly TftpReadSession _session;
    private readonly ILogger _log;
    private readonly Socket _socket;
    private readonly Lock _gate = new();
    private readonly TimeSpan _startedAt;
    private byte[]? _tx;

    /// <summary>The next DATA packet, read while the client was busy with the last one (block 0: none).</summary>
    private byte[]? _ahead;
    private long _aheadBlock;
    private int _aheadLength;
    private int _finished;

    /// <summary>Whether this transfer's waits poll before sleeping; touched only by its receiving thread.</summary>
    private SpinGovernor _spin;

    /// <param name="client">The client, already <see cref="Normalize"/>d with <paramref name="local"/>.</param>
    public TftpTransfer(ITransferHost host, TftpReadSession session, IPEndPoint client, IPAddress local, ILogger log)
    {
        _host = host;
        _session = session;
        _log = log;
        Client = client;
        _startedAt = host.Now;
        _socket = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            // Answer from the address the client spoke to, so its firewall and its own filter match.
            _socket.Bind(new IPEndPoint(local, 0));
            _socket.Connect(client);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
    }

    public IPEndPoint Client { get; }

    /// <summary>
    /// One address family for both ends: a dual-mode [::] listener reports IPv4 clients as
    /// ::ffff:a.b.c.d and the local address as either form; a socket needs them to agree.
    /// </summary>
    internal static (IPAddress Local, IPEndPoint Client) Normalize(IPAddress local, IPEndPoint client)
    {
        if (client.Address.IsIPv4MappedToIPv6)
        {
            client = new IPEndPoint(client.Address.MapToIPv4(), client.Port);
        }
        if (local.IsIPv4MappedToIPv6)
        {
            local = local.MapToIPv4();
        }
        if (local.AddressFamily != client.AddressFamily)
        {
            local = client.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
        }
        return (local, client);
    }

    public TftpReadSession Session => _session;

    /// <summary>This transfer's key in the server's <see cref="TransferPoller"/>; 0 when it is not watched by one.</summary>
    internal ulong PollId { get; set; }

    internal SafeSocketHandle SocketHandle => _socket.SafeHandle;

    public TimeSpan Elapsed => _host.Now - _startedAt;

    /// <summary>The key of its request among the server's running ones (see <see cref="DuplicateRequests{T}"/>).</summary>
    internal string? RequestKey { get; init; }

    internal bool IsFinished => Volatile.Read(ref _finished) != 0;

    /// <summary>
    /// Sends the first answer (OACK, first window or ERROR). True when the transfer now waits for its client
    /// (the server then chooses how it listens); false when it is already over.
    /// </summary>
    public bool Start()
    {
        lock (_gate)
        {
            TftpSend first;
            try
            {
                first = _session.Start(_host.Now);
            }
#pragma warning disable CA1031 // A provider's or the disk's failure is this client's ERROR 0, never the server's end.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.OpenFailed(_log, Client, _session.Request.Filename, e);
                first = _session.Fail(TftpErrorCode.NotDefined, "server error");
            }
            // Armed before the packet leaves, so the check is there by the time the client could answer.
            _host.CheckBy(_session.Deadline);
            Transmit(first);
        }
        _host.OnStarted(this);
        if (_session.IsOver)
        {
            Finish();
            return false;
        }
        return true;
    }

    /// <summary>
    /// Called by the server's timer: resends or gives up when the deadline has passed. Returns the deadline
    /// that follows (null: none, the transfer is over or waits for nothing).
    /// </summary>
    public TimeSpan? OnTick(TimeSpan now)
    {
        bool over;
        TimeSpan? next;
        lock (_gate)
        {
            if (_finished != 0 || _session.Deadline is not { } deadline)
            {
                return null;
            }
            if (now < deadline)
            {
                return deadline;
            }
            Transmit(_session.OnTimer(now));
            over = _session.IsOver;
            next = _session.Deadline;
        }
        if (over)
        {
            Finish();
            return null;
        }
        return next;
    }

    /// <summary>Ends the transfer (idempotent): closes the port, frees buffers, reports the outcome.</summary>
    public void Finish(string? reason = null)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0)
        {
            return;
        }
        lock (_gate)
        {
            _session.Abandon(reason ?? "ended");
            if (_tx is not null)
            {
                ArrayPool<byte>.Shared.Return(_tx);
                _tx = null;
            }
            if (_ahead is not null)
            {
                ArrayPool<byte>.Shared.Return(_ahead);
                _ahead = null;
                _aheadBlock = 0;
            }
            _session.Dispose();
        }
        // Aborts the pending receive; the loop sees the transfer finished and returns its buffer.
        _socket.Dispose();
        _host.OnEnded(this);
    }

    /// <summary>
    /// The receive loop of a transfer with a thread of its own: blocking recv, woken by data or by Finish closing
    /// the socket, after polling for up to <see cref="Spinners.Ticks"/> when <paramref name="spinners"/> allow.
    /// Only blocking calls on this socket: one async call would make .NET switch it to non-blocking for good
    /// and emulate every later blocking call through its epoll thread.
    /// </summary>
    public void ReceiveBlocking(Spinners spinners)
    {
        // Every receive completes synchronously, so this runs to the end on the calling thread.
        var loop = ReceiveLoopAsync(spinners);
        Debug.Assert(loop.IsCompleted, "a blocking receive loop never suspends");
        loop.GetAwaiter().GetResult();
    }

    /// <summary>The receive loop of a transfer without a thread: async receives on the socket engine.</summary>
    public Task ReceiveAsync() => ReceiveLoopAsync(null);

    /// <summary>One loop for both ways of waiting: blocking (with <paramref name="spinners"/>) or async (null).</summary>
    private async Task ReceiveLoopAsync(Spinners? spinners)
    {
        var rx = ArrayPool<byte>.Shared.Rent(ReceiveBufferSize);
        try
        {
            while (Volatile.Read(ref _finished) == 0)
            {
                int n;
                try
                {
                    n = await Receive(rx, spinners).ConfigureAwait(false);
                }
                catch (SocketException e) when (OnReceiveError(e) is { } stop)
                {
                    if (stop)
                    {
                        break;
                    }
                    continue;
                }
                catch (ObjectDisposedException)
                {
                    break;
                }
                if (OnDatagram(rx.AsSpan(0, n)))
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is SocketException or IOException or InvalidOperationException)
        {
            OnLoopFailure(e);
        }
        finally
        {
            Finish();
            ArrayPool<byte>.Shared.Return(rx);
        }
    }

    private ValueTask<int> Receive(byte[] rx, Spinners? spinners)
    {
        if (spinners is null)
        {
            return _socket.ReceiveAsync(rx.AsMemory(0, ReceiveBufferSize), SocketFlags.None);
        }
        SpinForDatagram(spinners);
        return new ValueTask<int>(_socket.Receive(rx, 0, ReceiveBufferSize, SocketFlags.None));
    }

    /// <summary>
    /// Polls the socket before the blocking recv, when this transfer's <see cref="SpinGovernor"/> and a free
    /// spinner slot allow: an ACK caught awake is answered without a wake-up.
    /// </summary>
    private void SpinForDatagram(Spinners spinners)
    {
        if (!_spin.ShouldSpin() || !spinners.TryTake())
        {
            return;
        }
        var caught = false;
        try
        {
            var until = Stopwatch.GetTimestamp() + spinners.Ticks;
            do
            {
                if (_socket.Available > 0)
                {
                    caught = true;
                    break;
                }
            }
            while (Stopwatch.GetTimestamp() < until && Volatile.Read(ref _finished) == 0);
        }
        finally
        {
            spinners.Release(caught);
            _spin.OnSpun(caught);
        }
    }

    /// <summary>
    /// Called by a <see cref="TransferPoller"/> thread when the socket is readable (or has an error queued):
    /// one non-blocking recv into that thread's <paramref name="rx"/>, handled as the receive loops do.
    /// </summary>
    internal void OnReadable(byte[] rx)
    {
        if (Volatile.Read(ref _finished) != 0)
        {
            return;
        }
        nint n;
        try
        {
            n = Epoll.Receive(_socket.SafeHandle, ref rx[0], (nuint)rx.Length, Epoll.MsgDontWait | Epoll.MsgTrunc);
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        if (n < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is Epoll.EAgain or Epoll.EIntr)
            {
                return;
            }
            if (errno == Epoll.EConnRefused)
            {
                OnClientUnreachable();
            }
            else
            {
                OnLoopFailure(new IOException($"recv failed (errno {errno})"));
            }
            Finish();
            return;
        }
        if (n > rx.Length)
        {
            _host.OnDropped(Client, "datagram larger than any ACK or ERROR");
            return;
        }
        if (OnDatagram(rx.AsSpan(0, (int)n)))
        {
            Finish();
        }
    }

    /// <summary>
    /// ICMP port unreachable for something we sent, reported by a receive: the client has gone (often a ROM
    /// that read tsize and closed its port without an ERROR).
    /// </summary>
    private void OnClientUnreachable()
    {
        lock (_gate)
        {
            _session.Abandon("client port unreachable");
        }
    }

    /// <summary>A failed receive: true = the loop ends, false = go on receiving, null = not ours to handle (rethrow).</summary>
    private bool? OnReceiveError(SocketException e)
    {
        if (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
        {
            OnClientUnreachable();
            return true;
        }
        if (e.SocketErrorCode == SocketError.MessageSize)
        {
            _host.OnDropped(Client, "datagram larger than any ACK or ERROR");
            return false;
        }
        return Volatile.Read(ref _finished) != 0 || e.SocketErrorCode is SocketError.OperationAborted or SocketError.Interrupted or SocketError.Shutdown ? true : null;
    }

    /// <summary>Hands one datagram to the session and sends its answer; true when the transfer is over.</summary>
    private bool OnDatagram(ReadOnlySpan<byte> datagram)
    {
        lock (_gate)
        {
            if (_finished != 0)
            {
                return true;
            }
            try
            {
                var answer = _session.Handle(datagram, _host.Now);
                _host.CheckBy(_session.Deadline);
                Transmit(answer);
            }
            catch (TftpProtocolException e)
            {
                _host.OnDropped(Client, e.Message);
            }
            return _session.IsOver;
        }
    }

    private void OnLoopFailure(Exception e)
    {
        Log.TransferProblem(_log, Client, _session.Request.Filename, $"{e.GetType().Name}: {e.Message}");
        lock (_gate)
        {
            _session.Abandon(e.Message);
        }
    }

    /// <summary>
    /// Renders and sends every packet of <paramref name="send"/>, then reads the block after it ahead, so
    /// the pread is done while the client handles what we sent rather than between its ACK and our
    /// answer. Caller holds <see cref="_gate"/>.
    /// </summary>
    private void Transmit(in TftpSend send)
    {
        if (send.Kind == TftpSendKind.None || _finished != 0)
        {
            return;
        }
        _tx ??= ArrayPool<byte>.Shared.Rent(_session.MaxPacketSize);
        for (var i = 0; i < send.Count; i++)
        {
            var packet = _tx;
            int length;
            if (send.Kind == TftpSendKind.Data && send.FirstBlock + i == _aheadBlock)
            {
                packet = _ahead!;
                length = _aheadLength;
                _aheadBlock = 0;
                _session.CountSent(length);
            }
            else
            {
                try
                {
                    length = _session.Render(send, i, _tx);
                }
                catch (IOException e)
                {
                    Log.TransferProblem(_log, Client, _session.Request.Filename, $"read failed: {e.Message}");
                    var error = _session.Fail(TftpErrorCode.NotDefined, "read error on server");
                    TrySend(_tx.AsSpan(0, _session.Render(error, 0, _tx)));
                    return;
                }
            }
            if (!TrySend(packet.AsSpan(0, length)))
            {
                return;
            }
            if (send.Kind == TftpSendKind.Data)
            {
                _host.OnBytesSent(length - TftpLimits.HeaderSize);
            }
        }
        if (send.Kind == TftpSendKind.Data)
        {
            ReadAhead(send.FirstBlock + send.Count);
        }
    }

    private void ReadAhead(long block)
    {
        if (block > _session.LastBlock || block == _aheadBlock)
        {
            return;
        }
        _ahead ??= ArrayPool<byte>.Shared.Rent(_session.MaxPacketSize);
        try
        {
            _aheadLength = _session.RenderBlock(block, _ahead);
            _aheadBlock = block;
        }
        catch (IOException)
        {
            // Reported when the block is really needed (the normal render path fails the transfer).
            _aheadBlock = 0;
        }
    }

    private bool TrySend(ReadOnlySpan<byte> packet)
    {
        try
        {
            _socket.Send(packet, SocketFlags.None);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
        {
            _session.Abandon("client port unreachable");
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.NoBufferSpaceAvailable or SocketError.WouldBlock)
        {
            // A full send queue loses this packet like the network would; the timer resends it.
            return true;
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }
}

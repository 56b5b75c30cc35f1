using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BareMetal.Pxe.Tftp.Policy;
using BareMetal.Pxe.Tftp.Session;
using BareMetal.Pxe.Tftp.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.Pxe.Tftp.Server;

/// <summary>
/// A read-only TFTP server: requests arrive on the listening port, each transfer then runs on its own
/// ephemeral port (<see cref="TftpTransfer"/>). A few transfers at once (<see cref="TftpServerOptions.ThreadedTransfers"/>)
/// get a thread blocked in recv; beyond those, a few epoll threads watch them all (<see cref="TransferPoller"/>;
/// an async receive loop per socket where epoll is not to be had), and one timer serves every deadline, so thousands of transfers cost sockets and
/// buffers, not threads. Bad packets are logged and dropped; nothing a client sends stops the server.
/// </summary>
/// <example>
/// <code>
/// await using var server = new TftpServer(new TftpServerOptions(), new RootDirectoryProvider("/srv/tftp"));
/// await server.StartAsync(new IPEndPoint(IPAddress.Loopback, 6969), ct);
/// </code>
/// </example>
public sealed class TftpServer : IAsyncDisposable, ITransferHost
{
    /// <summary>A UDP datagram never exceeds 65535 bytes, so a request is never truncated.</summary>
    private const int ListenBufferSize = 65536;

    private readonly TftpServerOptions _options;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<TftpTransfer, byte> _active = new();
    private readonly DuplicateRequests<TftpTransfer> _requests;
    private readonly Slots _threads;
    private readonly Spinners _spinners;
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;
    private Task? _loop;
    private ITimer? _timer;

    /// <summary>
    /// Server time (ticks) the one-shot deadline check is armed for; long.MaxValue = not armed. Read without
    /// a lock on every packet (<see cref="CheckBy"/>), changed under <see cref="_timerGate"/>.
    /// </summary>
    private long _checkAt = long.MaxValue;
    private readonly Lock _timerGate = new();
    private CancellationTokenRegistration _stopRegistration;
    private long _epoch;
    private long _started, _completed, _aborted, _failed, _bytesSent, _retransmissions, _dropped;
    private int _disposed;

    /// <summary>Serves <see cref="TftpServerOptions.Root"/> through a jailed <see cref="RootDirectoryProvider"/>.</summary>
    public TftpServer(TftpServerOptions options, ILogger? logger = null)
        : this(options, new RootDirectoryProvider(options?.Root ?? throw new ArgumentException("TftpServerOptions.Root is required without a provider", nameof(options))), logger)
    {
    }

    /// <param name="logger">Where the server logs: finished transfers at Information, failures at Warning, probes and drops at Debug.</param>
    public TftpServer(TftpServerOptions options, ITftpFileProvider provider, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(provider);
        _options = options;
        _log = logger ?? NullLogger.Instance;
        Provider = provider;
        Limits = options.SessionLimits;
        _requests = new DuplicateRequests<TftpTransfer>(options.Timeout);
        _threads = new Slots(options.ThreadedTransfers);
        _spinners = new Spinners(options.SpinBeforeReceive, options.MaxSpinning);
        _epoch = options.TimeProvider.GetTimestamp();
    }

    /// <summary>Raised when a request has been answered (OACK, first block or a refusal). Runs on a socket thread: be quick.</summary>
    public event EventHandler<TftpTransferEventArgs>? TransferStarted;

    /// <summary>Raised once per request when its transfer ends, whatever the outcome.</summary>
    public event EventHandler<TftpTransferEventArgs>? TransferEnded;

    /// <summary>The bound address and port (the real port when 0 was asked); null before <see cref="StartAsync"/>.</summary>
    public IPEndPoint? LocalEndPoint { get; private set; }

    public TftpServerCounters Counters => new(
        Interlocked.Read(ref _started),
        Interlocked.Read(ref _completed),
        Interlocked.Read(ref _aborted),
        Interlocked.Read(ref _failed),
        Interlocked.Read(ref _bytesSent),
        Interlocked.Read(ref _retransmissions),
        Interlocked.Read(ref _dropped),
        _active.Count,
        _spinners.Caught,
        _spinners.InVain);

    internal ITftpFileProvider Provider { get; }

    /// <summary>Watches the transfers that have no thread of their own; null: they use async receives.</summary>
    internal TransferPoller? Poller { get; private set; }

    internal TftpSessionLimits Limits { get; }

    /// <summary>Requests of the running transfers, to tell a client's retransmitted RRQ from a new one.</summary>
    internal int RunningRequests => _requests.Count;

    internal TimeSpan Now => _options.TimeProvider.GetElapsedTime(_epoch);

    TimeSpan ITransferHost.Now => Now;

    void ITransferHost.CheckBy(TimeSpan? deadline) => CheckBy(deadline);

    /// <summary>
    /// Binds <paramref name="listen"/> (IPv4 or IPv6; [::] also takes IPv4) and starts serving.
    /// Returns once bound. Cancelling <paramref name="cancellationToken"/> later stops the server
    /// as <see cref="DisposeAsync"/> does.
    /// </summary>
    public Task StartAsync(IPEndPoint listen, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listen);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_listener is not null)
        {
            throw new InvalidOperationException("the server is already started");
        }
        var socket = new Socket(listen.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (listen.AddressFamily == AddressFamily.InterNetworkV6)
            {
                socket.DualMode = listen.Address.Equals(IPAddress.IPv6Any);
                socket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.PacketInformation, true);
            }
            if (listen.AddressFamily == AddressFamily.InterNetwork || socket.DualMode)
            {
                socket.SetSocketOption(SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
            }
            socket.Bind(listen);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        _listener = socket;
        Poller = TransferPoller.TryCreate(_options.PollerThreads, _log);
        LocalEndPoint = (IPEndPoint)socket.LocalEndPoint!;
        _epoch = _options.TimeProvider.GetTimestamp();
        // One-shot, armed for the earliest transfer deadline (CheckBy): an idle server never wakes, and a busy
        // one checks about once per timeout instead of 20 times a second (each check woke the timer thread
        // and a pool worker on the cores the lock-step transfers wait for).
        _timer = _options.TimeProvider.CreateTimer(_ => OnTick(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _stopRegistration = cancellationToken.Register(() => _stop.Cancel());
        _loop = Task.Run(() => ListenLoopAsync(socket, _stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Stops listening and ends every running transfer.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener?.Dispose();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var t in _active.Keys)
        {
            t.Finish("server stopping");
        }
        Poller?.Dispose();
        await _stopRegistration.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    void ITransferHost.OnDropped(IPEndPoint client, string why) => OnDropped(client, why);

    private void OnDropped(IPEndPoint client, string why)
    {
        Interlocked.Increment(ref _dropped);
        Log.PacketDropped(_log, client, why);
    }

    void ITransferHost.OnBytesSent(long bytes) => Interlocked.Add(ref _bytesSent, bytes);

    void ITransferHost.OnStarted(TftpTransfer t)
    {
        Interlocked.Increment(ref _started);
        if (!t.Session.IsOver)
        {
            Log.TransferStarted(_log, t.Client, t.Session.Request.Filename, t.Session.BlockSize, t.Session.WindowSize);
        }
        Raise(TransferStarted, t, TftpTransferOutcome.Running);
    }

    void ITransferHost.OnEnded(TftpTransfer t)
    {
        if (_active.TryRemove(t, out _))
        {
            _spinners.OnTransferEnded();
        }
        Poller?.Remove(t);
        if (t.RequestKey is { } key)
        {
            _requests.End(key, t);
        }
        var s = t.Session;
        Interlocked.Add(ref _retransmissions, s.Retransmissions);
        var outcome = s.State switch
        {
            TftpSessionState.Completed => TftpTransferOutcome.Completed,
            TftpSessionState.Aborted => TftpTransferOutcome.Aborted,
            _ => TftpTransferOutcome.Failed,
        };
        switch (outcome)
        {
            case TftpTransferOutcome.Completed:
                Interlocked.Increment(ref _completed);
                Log.TransferCompleted(_log, t.Client, s.Request.Filename, s.BytesSent, (long)t.Elapsed.TotalMilliseconds);
                break;
            case TftpTransferOutcome.Aborted:
                Interlocked.Increment(ref _aborted);
                Log.TransferAborted(_log, t.Client, s.Request.Filename, s.EndReason);
                break;
            default:
                Interlocked.Increment(ref _failed);
                if (s.RefusedWith == TftpErrorCode.FileNotFound)
                {
                    // GRUB's and PXELINUX's config probes, shim's revocations_*.efi: asked on purpose, answered at once.
                    Log.NotFound(_log, t.Client, s.Request.Filename);
                }
                else if (s.RefusedWith is { } code)
                {
                    Log.Refused(_log, t.Client, s.Request.Filename, (int)code, s.EndReason);
                }
                else
                {
                    Log.TransferFailed(_log, t.Client, s.Request.Filename, s.BytesSent, s.EndReason);
                }
                break;
        }
        Raise(TransferEnded, t, outcome);
    }

    private void Raise(EventHandler<TftpTransferEventArgs>? handler, TftpTransfer t, TftpTransferOutcome outcome)
    {
        if (handler is null)
        {
            return;
        }
        var s = t.Session;
        try
        {
            handler(this, new TftpTransferEventArgs(t.Client, s.Request.Filename, s.Length, s.BytesSent, outcome, outcome == TftpTransferOutcome.Completed ? null : s.EndReason, t.Elapsed));
        }
#pragma warning disable CA1031 // A subscriber's bug must not take a transfer or the server down.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.HandlerFailed(_log, e);
        }
    }

    private async Task ListenLoopAsync(Socket socket, CancellationToken ct)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(ListenBufferSize, pinned: true);
        EndPoint any = new IPEndPoint(socket.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveMessageFromResult r;
            try
            {
                r = await socket.ReceiveMessageFromAsync(buffer, SocketFlags.None, any, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (SocketException e)
            {
                // ICMP errors for earlier one-shot replies surface here on some stacks; not fatal.
                Log.ListenError(_log, e.SocketErrorCode.ToString());
                continue;
            }
            var client = (IPEndPoint)r.RemoteEndPoint;
            var local = r.PacketInformation.Address ?? LocalEndPoint!.Address;
            try
            {
                OnRequest(buffer.AsSpan(0, r.ReceivedBytes), client, local);
            }
#pragma warning disable CA1031 // The listen loop must outlive any one request's failure.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.RequestFailed(_log, client, e);
            }
        }
    }

    private void OnRequest(ReadOnlySpan<byte> datagram, IPEndPoint client, IPAddress local)
    {
        TftpRequest request;
        try
        {
            request = TftpCodec.ReadRequest(datagram);
        }
        catch (TftpProtocolException e)
        {
            OnDropped(client, e.Message);
            // Answer only what claims to be a request: an ACK or DATA on this port is a stray from
            // an old transfer, and answering junk would make us a reflector.
            if (datagram.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(datagram) is (ushort)TftpOpcode.ReadRequest or (ushort)TftpOpcode.WriteRequest)
            {
                var code = e.Reason is TftpProtocolError.DuplicateOption or TftpProtocolError.TooManyOptions or TftpProtocolError.OptionValueMissing
                    or TftpProtocolError.EmptyOptionName or TftpProtocolError.OptionNameTooLong or TftpProtocolError.OptionValueTooLong
                    ? TftpErrorCode.OptionsRefused
                    : TftpErrorCode.IllegalOperation;
                SendOneShotError(local, client, code, $"malformed request ({e.Reason})");
            }
            return;
        }
        (local, client) = TftpTransfer.Normalize(local, client);
        var key = DuplicateRequests<TftpTransfer>.KeyOf(client, request);
        var now = Now;
        if (_requests.RepeatOf(key, now) is { IsFinished: false })
        {
            Log.DuplicateRequest(_log, client, request.Filename, (long)_requests.Window.TotalMilliseconds);
            return;
        }
        if (_active.Count >= _options.MaxConcurrentTransfers)
        {
            Log.Busy(_log, client, request.Filename, _active.Count);
            SendOneShotError(local, client, TftpErrorCode.NotDefined, "server busy, try again");
            return;
        }
        var session = new TftpReadSession(request, client, Provider, Limits);
        var transfer = new TftpTransfer(this, session, client, local, _log) { RequestKey = key };
        _requests.Begin(key, transfer, now);
        _active.TryAdd(transfer, 0);
        _spinners.OnTransferStarted();
        try
        {
            if (transfer.Start())
            {
                Listen(transfer);
            }
        }
        catch
        {
            transfer.Finish("start failed");
            throw;
        }
    }

    /// <summary>
    /// How a started transfer waits for its client: a thread of its own while <see cref="TftpServerOptions.ThreadedTransfers"/>
    /// allow, else the <see cref="TransferPoller"/>, else async receives.
    /// </summary>
    private void Listen(TftpTransfer transfer)
    {
        if (_threads.TryTake())
        {
            var thread = new Thread(() =>
            {
                try
                {
                    transfer.ReceiveBlocking(_spinners);
                }
                finally
                {
                    _threads.Release();
                }
            })
            { IsBackground = true, Name = "tftp transfer" };
            thread.Start();
            return;
        }
        if (Poller?.TryAdd(transfer) == true)
        {
            return;
        }
        _ = transfer.ReceiveAsync();
    }

    /// <summary>An ERROR from a fresh port, as a transfer's first answer would come.</summary>
    private void SendOneShotError(IPAddress local, IPEndPoint client, TftpErrorCode code, string message)
    {
        Span<byte> packet = stackalloc byte[TftpLimits.MaxErrorMessageLength + TftpLimits.HeaderSize + 1];
        var n = TftpCodec.WriteError(packet, code, message);
        (local, client) = TftpTransfer.Normalize(local, client);
        using var s = new Socket(local.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        s.Bind(new IPEndPoint(local, 0));
        s.SendTo(packet[..n], SocketFlags.None, client);
    }

    /// <summary>
    /// Makes sure the deadline check runs no later than <paramref name="deadline"/> (server time). Transfers call
    /// it after every send; it costs one read unless the deadline is earlier than the armed check, which
    /// happens once per transfer (deadlines only move later as a transfer progresses).
    /// </summary>
    internal void CheckBy(TimeSpan? deadline)
    {
        if (deadline is not { } d || d.Ticks >= Volatile.Read(ref _checkAt))
        {
            return;
        }
        lock (_timerGate)
        {
            if (d.Ticks >= _checkAt)
            {
                return;
            }
            _checkAt = d.Ticks;
            var due = d - Now;
            try
            {
                _timer?.Change(due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // The server is stopping: no more checks.
            }
        }
    }

    private void OnTick()
    {
        lock (_timerGate)
        {
            _checkAt = long.MaxValue;
        }
        var now = Now;
        TimeSpan? next = null;
        foreach (var entry in _active)
        {
            if (entry.Key.OnTick(now) is { } d && (next is null || d < next))
            {
                next = d;
            }
        }
        // Deadlines that fall together are checked together: at most one check per TimerResolution.
        if (next is { } n)
        {
            CheckBy(n > now + _options.TimerResolution ? n : now + _options.TimerResolution);
        }
    }
}

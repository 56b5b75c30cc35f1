using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BareMetal.Pxe.Tftp.Files;
using BareMetal.Pxe.Tftp.Polling;
using BareMetal.Pxe.Tftp.Transfers;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tftp;

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
public sealed class TftpServer : IAsyncDisposable
{
    /// <summary>A UDP datagram never exceeds 65535 bytes, so a request is never truncated.</summary>
    private const int ListenBufferSize = 65536;

    private readonly TftpServerOptions _options;
    private readonly ConcurrentDictionary<TftpTransfer, byte> _active = new();
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
    private int _threaded;
    private int _spinning;

    /// <summary>Transfers in <see cref="_active"/>, kept apart: ConcurrentDictionary.Count takes every lock, and each wait asks.</summary>
    private int _running;
    private long _spinsCaught, _spinsInVain;

    /// <summary>Serves <see cref="TftpServerOptions.Root"/> through a jailed <see cref="RootDirectoryProvider"/>.</summary>
    public TftpServer(TftpServerOptions options)
        : this(options, new RootDirectoryProvider(options?.Root ?? throw new ArgumentException("TftpServerOptions.Root is required without a provider", nameof(options))))
    {
    }

    public TftpServer(TftpServerOptions options, ITftpFileProvider provider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(provider);
        _options = options;
        Provider = provider;
        Limits = options.SessionLimits;
        SpinTicks = options.SpinBeforeReceive <= TimeSpan.Zero ? 0 : (long)(options.SpinBeforeReceive.TotalSeconds * Stopwatch.Frequency);
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
        Interlocked.Read(ref _spinsCaught),
        Interlocked.Read(ref _spinsInVain));

    internal ITftpFileProvider Provider { get; }

    /// <summary>Watches the transfers that have no thread of their own; null: they use async receives.</summary>
    internal TransferPoller? Poller { get; private set; }

    internal TftpSessionLimits Limits { get; }

    internal TimeProvider TimeProvider => _options.TimeProvider;

    /// <summary>
    /// <see cref="TftpServerOptions.SpinBeforeReceive"/> in <see cref="Stopwatch"/> ticks (0: off). Real time on
    /// purpose: it bounds CPU burnt, not protocol time, and a manual test clock would make a spin endless.
    /// </summary>
    internal long SpinTicks { get; }

    internal TimeSpan Now => _options.TimeProvider.GetElapsedTime(_epoch);

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
        Poller = TransferPoller.TryCreate(_options.PollerThreads, LogLine);
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

    internal void LogLine(string line) => _options.Log?.Invoke(line);

    internal void OnDropped(IPEndPoint client, string why)
    {
        Interlocked.Increment(ref _dropped);
        LogLine($"dropped packet from {client}: {why}");
    }

    /// <summary>Claims one of the <see cref="TftpServerOptions.ThreadedTransfers"/> slots; false when all are taken.</summary>
    internal bool TryTakeThread() => TryTakeSlot(ref _threaded, _options.ThreadedTransfers);

    internal void ReleaseThread() => Interlocked.Decrement(ref _threaded);

    /// <summary>
    /// Claims one of the <see cref="TftpServerOptions.MaxSpinning"/> slots for one wait; false when all are taken,
    /// or when more transfers run than may spin: then the cores are busy serving (and the clients need them), so
    /// a poll would take CPU from work rather than use an idle core.
    /// </summary>
    internal bool TryTakeSpinner() =>
        SpinTicks != 0 && Volatile.Read(ref _running) <= _options.MaxSpinning && TryTakeSlot(ref _spinning, _options.MaxSpinning);

    /// <summary>Adds one to <paramref name="taken"/> unless it has reached <paramref name="limit"/>.</summary>
    private static bool TryTakeSlot(ref int taken, int limit)
    {
        while (true)
        {
            var n = Volatile.Read(ref taken);
            if (n >= limit)
            {
                return false;
            }
            if (Interlocked.CompareExchange(ref taken, n + 1, n) == n)
            {
                return true;
            }
        }
    }

    internal void ReleaseSpinner(bool caught)
    {
        Interlocked.Decrement(ref _spinning);
        Interlocked.Increment(ref caught ? ref _spinsCaught : ref _spinsInVain);
    }

    internal void AddBytesSent(long n) => Interlocked.Add(ref _bytesSent, n);

    internal void OnStarted(TftpTransfer t)
    {
        Interlocked.Increment(ref _started);
        if (_options.LogTransfers && !t.Session.IsOver)
        {
            LogLine($"{t.Client} RRQ {t.Session.Request.Filename} blksize {t.Session.BlockSize} windowsize {t.Session.WindowSize}");
        }
        Raise(TransferStarted, t, TftpTransferOutcome.Running);
    }

    internal void OnEnded(TftpTransfer t)
    {
        if (_active.TryRemove(t, out _))
        {
            Interlocked.Decrement(ref _running);
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
                break;
            case TftpTransferOutcome.Aborted:
                Interlocked.Increment(ref _aborted);
                break;
            default:
                Interlocked.Increment(ref _failed);
                break;
        }
        if (outcome == TftpTransferOutcome.Failed || _options.LogTransfers)
        {
            LogLine($"{t.Client} {s.Request.Filename}: {outcome}{(s.EndReason is { } r && outcome != TftpTransferOutcome.Completed ? ": " + r : "")} ({s.BytesSent} bytes sent)");
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
            LogLine($"transfer event handler threw {e.GetType().Name}: {e.Message}");
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
                LogLine($"listen socket: {e.SocketErrorCode}");
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
                LogLine($"request from {client} failed: {e.GetType().Name}: {e.Message}");
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
        if (_active.Count >= _options.MaxConcurrentTransfers)
        {
            LogLine($"{client} RRQ {request.Filename}: refused, {_active.Count} transfers running");
            SendOneShotError(local, client, TftpErrorCode.NotDefined, "server busy, try again");
            return;
        }
        var transfer = new TftpTransfer(this, request, client, local);
        _active.TryAdd(transfer, 0);
        Interlocked.Increment(ref _running);
        try
        {
            transfer.Start();
        }
        catch
        {
            transfer.Finish("start failed");
            throw;
        }
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

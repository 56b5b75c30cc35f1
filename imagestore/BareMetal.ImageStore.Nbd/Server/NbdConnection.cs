using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Session;
using BareMetal.ImageStore.Nbd.Wire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.ImageStore.Nbd.Server;

/// <summary>
/// One client, from greeting to close: a PipeReader loop feeding the codec and the session, replies
/// sent under a per-connection send lock in whatever order they finish (pipelined, out of order).
/// Requests in flight are bounded (<see cref="NbdServerOptions.MaxInflightUnits"/>), so a client that
/// stops reading stops being read; the watchdog then closes it. Nothing here can hurt another connection.
/// </summary>
public sealed class NbdConnection : IDisposable
{
    /// <summary>Bytes of payload that count as one more in-flight unit.</summary>
    private const int UnitBytes = 1 << 20;

    private readonly IExportProvider _exports;
    private readonly PipeReader _input;
    private readonly IReplyOutput _output;
    private readonly NbdServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _abort = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SemaphoreSlim _inflight;
    private readonly long _startedAt;
    private int _pending;
    private TaskCompletionSource? _drained;
    private long _sendStartedAt;
    private volatile bool _transmitting;

    /// <summary>
    /// Bytes of replies gathered before one send, when a receive brought many requests. Small on purpose:
    /// a big batch makes the client wait for the last pread of the batch before it sees the first reply,
    /// and a send larger than the socket buffer waits for the client, so server and client take turns
    /// instead of working at once. 16 KiB gathers four 4 KiB replies per sendmsg and sends every large
    /// read as soon as it is read (A/B under load: 1.3-1.6x sequential, 1.2-1.6x 4 KiB QD32 against 4 MiB).
    /// </summary>
    private const int MaxBatchBytes = 16 * 1024;

    private readonly Socket? _socket;

    /// <summary>Requests in one receive that mark a client as pipelining.</summary>
    private const int PipeliningBurst = 4;

    /// <summary>Receives for which a pipelining client is still taken to be one.</summary>
    private const int PipeliningMemory = 4096;

    /// <summary>Batches handed to the sending thread and not yet sent (blocking transmission only).</summary>
    private int _queuedBatches;

    /// <summary>A send failed: the sending thread drops what is left.</summary>
    private volatile bool _senderDead;

    /// <summary>
    /// Held for each gathered send on the socket: the receiving thread, the sending thread and a FLUSH
    /// answered aside (<see cref="TransmitBlocking"/>) may each have a batch ready at once.
    /// </summary>
    private readonly Lock _socketSend = new();

    /// <summary>Requests running beside the receiving thread (FLUSH), guarded by <see cref="_asideGate"/>; the
    /// connection ends only once they have replied.</summary>
    private int _aside;
    private readonly object _asideGate = new(); // Monitor, not Lock: the end of the connection waits on it.

    /// <param name="socket">When given, transmission runs on the caller's thread with blocking socket calls
    /// (the caller owns a thread for this connection): one wake-up per receive, and the replies to every
    /// request that arrived in one receive go out in one gathered send. The handshake always runs on the pipe.</param>
    public NbdConnection(IExportProvider exports, PipeReader input, IReplyOutput output, string client,
        NbdServerOptions? options = null, ILogger? logger = null, TimeProvider? time = null, Socket? socket = null)
    {
        _socket = socket;
        _exports = exports ?? throw new ArgumentNullException(nameof(exports));
        _input = input ?? throw new ArgumentNullException(nameof(input));
        _output = output ?? throw new ArgumentNullException(nameof(output));
        Client = client;
        _options = options ?? new NbdServerOptions();
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _inflight = new SemaphoreSlim(_options.MaxInflightUnits, _options.MaxInflightUnits);
        _startedAt = _time.GetTimestamp();
    }

    public string Client { get; }

    /// <summary>The accepted socket when the server's shell owns one (null over a plain pipe).</summary>
    internal Socket? Socket => _socket;

    /// <summary>The export chosen, once transmission started.</summary>
    public NbdExport? Export { get; private set; }

    /// <summary>Why the connection ended badly (null = clean end).</summary>
    public string? Failure { get; private set; }

    /// <summary>Raised once, when the connection must die now (the socket owner closes the socket).</summary>
    public event Action? Aborted;

    /// <summary>Closes the connection from outside (shutdown, watchdog).</summary>
    public void Abort(string reason)
    {
        Failure ??= reason;
        if (!_abort.IsCancellationRequested)
        {
            _abort.Cancel();
            Aborted?.Invoke();
        }
    }

    private void OnExportClosed()
    {
        Log.ExportClosed(_logger, Client, Export?.Name ?? "?");
        Abort("export reset");
    }

    /// <summary>Called periodically: closes a connection that dawdles in the handshake or stopped reading.</summary>
    public void CheckStalled()
    {
        if (!_transmitting && _time.GetElapsedTime(_startedAt) > _options.HandshakeTimeout)
        {
            Log.Stalled(_logger, Client, "no export chosen in time");
            Abort("handshake timeout");
            return;
        }
        var sending = Interlocked.Read(ref _sendStartedAt);
        if (sending != 0 && _time.GetElapsedTime(sending) > _options.SendTimeout)
        {
            Log.Stalled(_logger, Client, "client stopped reading replies");
            Abort("send timeout");
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var link = cancellationToken.Register(() => Abort("server shutting down"));
        var ct = _abort.Token;
        try
        {
            var greeting = new byte[NbdProtocol.GreetingLength];
            NbdCodec.WriteGreeting(greeting, NbdHandshake.OfferedFlags);
            await SendAsync(greeting, ct);
            var handshake = new NbdHandshake(_exports);
            if (!await HandshakeAsync(handshake, ct))
            {
                return;
            }
            Export = handshake.Export!;
            // A reset withdraws the export and disposes its disk: end this connection rather than
            // answer EIO from a dead disk while new connections see a fresh overlay.
            Export.Closed += OnExportClosed;
            if (Export.IsClosed)
            {
                OnExportClosed();
            }
            var session = new NbdTransmission(Export, handshake.StructuredReplies, handshake.BaseAllocation,
                handshake.BlockSizeAgreed, Export.Counters.Client(Client));
            _transmitting = true;
            Log.ExportChosen(_logger, Client, Export.Name, handshake.StructuredReplies, handshake.BaseAllocation);
            if (_socket is { } socket)
            {
                // Requests the client sent right behind OPT_GO may already sit in the pipe's buffer.
                byte[] leftover = [];
                if (_input.TryRead(out var pending))
                {
                    leftover = pending.Buffer.ToArray();
                    _input.AdvanceTo(pending.Buffer.End);
                }
                TransmitBlocking(socket, session, leftover);
                return;
            }
            await TransmitAsync(session, ct);
        }
        catch (NbdProtocolException e)
        {
            Failure = e.Message;
            Log.ProtocolError(_logger, Client, e.Message);
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
            Failure ??= e.Message;
        }
        finally
        {
            if (Export is { } export)
            {
                export.Closed -= OnExportClosed;
            }
            await DrainAsync();
            await _input.CompleteAsync();
            Log.Disconnected(_logger, Client);
        }
    }

    private async Task<bool> HandshakeAsync(NbdHandshake handshake, CancellationToken ct)
    {
        var flagsRead = false;
        var replies = new ArrayBufferWriter<byte>();
        while (true)
        {
            var result = await _input.ReadAsync(ct);
            var buffer = result.Buffer;
            try
            {
                if (!flagsRead)
                {
                    if (NbdCodec.TryReadClientFlags(ref buffer, NbdHandshake.OfferedFlags, out var flags))
                    {
                        handshake.SetClientFlags(flags);
                        flagsRead = true;
                    }
                }
                while (flagsRead && NbdCodec.TryReadOption(ref buffer, out var header, out var data))
                {
                    replies.ResetWrittenCount();
                    var outcome = handshake.Handle(header.Option, data.IsSingleSegment ? data.FirstSpan : data.ToArray(), replies);
                    await SendAsync(replies.WrittenMemory, ct);
                    if (outcome == HandshakeOutcome.Abort)
                    {
                        return false;
                    }
                    if (outcome == HandshakeOutcome.Transmit)
                    {
                        return true;
                    }
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (result.IsCompleted)
            {
                return false;
            }
        }
    }

    private async Task TransmitAsync(NbdTransmission session, CancellationToken ct)
    {
        while (true)
        {
            var result = await _input.ReadAsync(ct);
            var buffer = result.Buffer;
            var disconnect = false;
            try
            {
                while (true)
                {
                    var rest = buffer;
                    if (!NbdCodec.TryReadRequest(ref rest, out var request))
                    {
                        break;
                    }
                    var payloadLength = request.Type == NbdProtocol.CmdWrite ? (int)request.Length : 0;
                    if (rest.Length < payloadLength)
                    {
                        break;
                    }
                    byte[]? payload = null;
                    if (payloadLength > 0)
                    {
                        payload = ArrayPool<byte>.Shared.Rent(payloadLength);
                        rest.Slice(0, payloadLength).CopyTo(payload);
                    }
                    buffer = rest.Slice(payloadLength);
                    if (request.Type == NbdProtocol.CmdDisc)
                    {
                        // Outstanding requests are finished (DrainAsync) before we close.
                        disconnect = true;
                        break;
                    }
                    var units = UnitsFor(request, payloadLength);
                    for (var i = 0; i < units; i++)
                    {
                        await _inflight.WaitAsync(ct);
                    }
                    Interlocked.Increment(ref _pending);
                    _ = RunRequestAsync(session, request, payload, units, ct);
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (disconnect || result.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The socket transmission loop: receive, run every complete request in the buffer in order, hand
    /// their replies to the sending thread in gathered batches, repeat. A FLUSH runs aside on a pool thread
    /// (it waits for the disk: fsync of the overlay), so the requests behind it are not held up and its reply
    /// goes out when the disk is done, after theirs: replies are out of order exactly when that helps (the
    /// protocol lets the server answer in any order; the client matches replies by handle). The flush still
    /// covers every write answered before it, since those ran to completion before it started.
    /// Two threads per connection, as nbdkit's workers give it: while one copies replies into
    /// the socket, the other reads the next requests' data, so one connection can use two cores.
    /// In-flight units (<see cref="NbdServerOptions.MaxInflightUnits"/>) bound the replies queued.
    /// </summary>
    private void TransmitBlocking(Socket socket, NbdTransmission session, byte[] leftover)
    {
        var ct = _abort.Token;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(256 * 1024, leftover.Length));
        using var queue = new BlockingCollection<ReplyBatch>();
        var free = new ConcurrentQueue<ReplyBatch>();
        var sender = new Thread(() => SendBatches(socket, queue, free)) { IsBackground = true, Name = "nbd-send" };
        sender.Start();
        var batch = new ReplyBatch();
        leftover.CopyTo(buffer, 0);
        int start = 0, end = leftover.Length;
        var requestsThisReceive = 0;
        var pipeliningCredit = 0;
        var spin = new ReceiveSpin();
        var spinTicks = (long)(_options.SpinBeforeReceive.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        try
        {
            while (true)
            {
                var disconnect = false;
                while (end - start >= NbdProtocol.RequestHeaderLength)
                {
                    var request = NbdCodec.ParseRequest(buffer.AsSpan(start, NbdProtocol.RequestHeaderLength));
                    var payloadLength = request.Type == NbdProtocol.CmdWrite ? (int)request.Length : 0;
                    var need = NbdProtocol.RequestHeaderLength + payloadLength;
                    if (end - start < need)
                    {
                        if (need > buffer.Length)
                        {
                            var bigger = ArrayPool<byte>.Shared.Rent(need);
                            Buffer.BlockCopy(buffer, start, bigger, 0, end - start);
                            ArrayPool<byte>.Shared.Return(buffer);
                            buffer = bigger;
                            end -= start;
                            start = 0;
                        }
                        break;
                    }
                    if (request.Type == NbdProtocol.CmdDisc)
                    {
                        disconnect = true;
                        break;
                    }
                    // A write's payload stays in the receive buffer here: only its reply is held.
                    var units = UnitsFor(request, bufferedPayload: 0);
                    if (_inflight.CurrentCount < units)
                    {
                        // The units may be held by the batch being built (many small error replies):
                        // send it first, or this thread would wait for itself.
                        Hand(moreToDo: false);
                    }
                    for (var i = 0; i < units; i++)
                    {
                        _inflight.Wait(ct);
                    }
                    if (request.Type == NbdProtocol.CmdFlush)
                    {
                        start += need;
                        RunAside(request, units);
                        continue;
                    }
                    PooledReply? reply;
                    try
                    {
                        reply = session.Execute(request, buffer.AsSpan(start + NbdProtocol.RequestHeaderLength, payloadLength));
                    }
                    catch
                    {
                        _inflight.Release(units);
                        throw;
                    }
                    start += need;
                    if (reply is null)
                    {
                        _inflight.Release(units);
                        continue;
                    }
                    batch.Add(reply, units);
                    requestsThisReceive++;
                    if (batch.Bytes >= MaxBatchBytes)
                    {
                        Hand(moreToDo: true);
                    }
                }
                // A client with more requests on the way is pipelining: send here, cheaper. Such a client
                // shows itself once by several requests in one receive (queue depth 32 starts with a burst,
                // then settles to about one per receive because it, not we, is the bottleneck), so that
                // is remembered for a while. Otherwise it may be waiting for this answer (queue depth 1):
                // the sending thread takes it and this one receives at once.
                if (requestsThisReceive >= PipeliningBurst)
                {
                    pipeliningCredit = PipeliningMemory;
                }
                else if (pipeliningCredit > 0)
                {
                    pipeliningCredit--;
                }
                Hand(moreToDo: requestsThisReceive > 1 || pipeliningCredit > 0 || socket.Available > 0);
                requestsThisReceive = 0;
                if (disconnect)
                {
                    return;
                }
                if (start == end)
                {
                    start = end = 0;
                }
                else if (buffer.Length - end < 64 * 1024 && start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (pipeliningCredit > 0)
                {
                    spin.Spin(socket, spinTicks, _options.MaxSpinning);
                }
                var n = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
                if (n == 0)
                {
                    return;
                }
                end += n;
            }
        }
        catch (NbdProtocolException e)
        {
            Failure = e.Message;
            Log.ProtocolError(_logger, Client, e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
            Failure ??= e.Message;
        }
        finally
        {
            // Every reply already made is sent (a DISC is answered only after them) or, if the socket
            // died, dropped; then the sender ends.
            Hand(moreToDo: false);
            lock (_asideGate)
            {
                while (_aside > 0)
                {
                    Monitor.Wait(_asideGate);
                }
            }
            queue.CompleteAdding();
            sender.Join();
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // With nothing queued, a pipelining client's batch is sent by this thread itself (no hand-over
        // cost: many requests per receive, as at queue depth 32). Otherwise the batch goes to the sending
        // thread and this one goes back to receive at once: at queue depth 1 that doubled the IOPS here
        // (the client's next request meets a thread already waiting for it). Order is kept: while the
        // sender has work, every batch joins its queue.
        void Hand(bool moreToDo)
        {
            if (batch.Replies.Count == 0)
            {
                return;
            }
            if (moreToDo && Volatile.Read(ref _queuedBatches) == 0 && !_senderDead)
            {
                var units = batch.Units;
                try
                {
                    SendGathered(socket, batch);
                }
                finally
                {
                    batch.Clear();
                    _inflight.Release(units);
                }
                return;
            }
            Interlocked.Increment(ref _queuedBatches);
            queue.Add(batch, CancellationToken.None);
            batch = free.TryDequeue(out var reused) ? reused : new ReplyBatch();
        }

        // Runs one request on a pool thread and queues its reply for the sending thread as a batch of its own.
        // The queue stays open until every aside request is done (the finally above waits for them).
        void RunAside(NbdRequest request, int units)
        {
            lock (_asideGate)
            {
                _aside++;
            }
            ThreadPool.UnsafeQueueUserWorkItem(_ =>
            {
                var queued = false;
                try
                {
                    if (session.Execute(request, []) is { } reply)
                    {
                        var alone = new ReplyBatch();
                        alone.Add(reply, units);
                        Interlocked.Increment(ref _queuedBatches);
                        queue.Add(alone, CancellationToken.None);
                        queued = true;
                    }
                }
                catch (Exception e)
                {
                    // As on the receiving thread: a failing disk ends this connection, no other.
                    if (e is not (IOException or SocketException or ObjectDisposedException or NbdProtocolException))
                    {
                        Log.Unexpected(_logger, Client, e);
                    }
                    Failure ??= e.Message;
                    Abort(e.Message);
                }
                finally
                {
                    if (!queued)
                    {
                        _inflight.Release(units);
                    }
                    lock (_asideGate)
                    {
                        if (--_aside == 0)
                        {
                            Monitor.PulseAll(_asideGate);
                        }
                    }
                }
            }, null);
        }
    }

    /// <summary>The sending thread: one gathered send per batch, in order, until the queue is closed.</summary>
    private void SendBatches(Socket socket, BlockingCollection<ReplyBatch> queue, ConcurrentQueue<ReplyBatch> free)
    {
        foreach (var batch in queue.GetConsumingEnumerable())
        {
            try
            {
                if (!_senderDead)
                {
                    SendGathered(socket, batch);
                }
            }
            catch (Exception e)
            {
                // The client is gone or stopped reading (the watchdog shut the socket): drop the rest,
                // and wake the receiving thread, which may wait for in-flight units. Nothing thrown here
                // may escape: this thread has no caller to catch it.
                if (e is not (SocketException or ObjectDisposedException))
                {
                    Log.Unexpected(_logger, Client, e);
                }
                _senderDead = true;
                Abort(e.Message);
            }
            finally
            {
                var units = batch.Units;
                batch.Clear();
                _inflight.Release(units);
                free.Enqueue(batch);
                // Last: until the batch is sent the receiving thread must not send on its own.
                Interlocked.Decrement(ref _queuedBatches);
            }
        }
    }

    private void SendGathered(Socket socket, ReplyBatch batch)
    {
        using var exclusive = _socketSend.EnterScope();
        Interlocked.Exchange(ref _sendStartedAt, _time.GetTimestamp());
        try
        {
            var total = batch.Bytes;
            var sent = socket.Send(batch.Segments, SocketFlags.None);
            if (sent < total)
            {
                // A partial gathered send: push the rest segment by segment.
                var skip = sent;
                foreach (var seg in batch.Segments)
                {
                    if (skip >= seg.Count)
                    {
                        skip -= seg.Count;
                        continue;
                    }
                    var part = seg.AsSpan(skip);
                    while (!part.IsEmpty)
                    {
                        var k = socket.Send(part, SocketFlags.None);
                        part = part[k..];
                    }
                    skip = 0;
                }
            }
        }
        finally
        {
            Interlocked.Exchange(ref _sendStartedAt, 0);
        }
    }

    /// <summary>
    /// In-flight units of one request: one, plus one per MiB of read reply or buffered write payload.
    /// Requests beyond the payload limit are refused without a buffer, so they cost one unit.
    /// </summary>
    private int UnitsFor(NbdRequest request, int bufferedPayload)
    {
        var bytes = request.Type == NbdProtocol.CmdRead && request.Length <= NbdLimits.MaxPayload ? (int)request.Length : bufferedPayload;
        return Math.Min(1 + bytes / UnitBytes, _options.MaxInflightUnits);
    }

    private async Task RunRequestAsync(NbdTransmission session, NbdRequest request, byte[]? payload, int units, CancellationToken ct)
    {
        PooledReply? reply = null;
        try
        {
            try
            {
                reply = session.Execute(request, payload is null ? [] : payload.AsSpan(0, (int)request.Length));
            }
            finally
            {
                if (payload is not null)
                {
                    ArrayPool<byte>.Shared.Return(payload);
                }
            }
            if (reply is not null)
            {
                await SendAsync(reply.Memory, ct);
            }
        }
        catch (Exception e)
        {
            // A send failed (client gone) or cancelled: the connection is over; others are untouched.
            if (e is not (OperationCanceledException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException))
            {
                Log.Unexpected(_logger, Client, e);
            }
            Abort(e.Message);
        }
        finally
        {
            reply?.Dispose();
            _inflight.Release(units);
            if (Interlocked.Decrement(ref _pending) == 0)
            {
                Volatile.Read(ref _drained)?.TrySetResult();
            }
        }
    }

    private async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct);
        try
        {
            Interlocked.Exchange(ref _sendStartedAt, _time.GetTimestamp());
            await _output.SendAsync(data, ct);
        }
        finally
        {
            Interlocked.Exchange(ref _sendStartedAt, 0);
            _sendLock.Release();
        }
    }

    /// <summary>Waits until every started request has replied (or failed because the connection died).</summary>
    private Task DrainAsync()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _drained, tcs);
        if (Volatile.Read(ref _pending) == 0)
        {
            tcs.TrySetResult();
        }
        return tcs.Task;
    }

    public void Dispose()
    {
        _abort.Dispose();
        _sendLock.Dispose();
        _inflight.Dispose();
    }
}

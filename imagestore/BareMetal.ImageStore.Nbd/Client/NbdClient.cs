using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Client;

/// <summary>
/// An NBD client: fixed newstyle handshake, OPT_STRUCTURED_REPLY, OPT_SET_META_CONTEXT base:allocation,
/// OPT_GO asking for NBD_INFO_BLOCK_SIZE; then READ (OFFSET_DATA and OFFSET_HOLE chunks, or simple
/// replies), WRITE, FLUSH, BLOCK_STATUS and DISC. Requests are pipelined: any number may be outstanding,
/// sends are serialized by one lock and one reader task matches replies to requests by handle.
/// Failures are <see cref="NbdClientException"/>: a refused export, a server errno (the connection stays
/// usable), a protocol violation or a dropped connection (every outstanding request fails with it).
/// </summary>
public sealed class NbdClient : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<ulong, Pending> _pending = new();
    private readonly CancellationTokenSource _closing = new();
    private Task _reader = Task.CompletedTask;
    private long _nextHandle;
    private NbdClientException? _broken;
    private int _disposed;
    private long _bytesRead;
    private long _bytesWritten;

    private NbdClient(Stream stream, NbdExportInfo info)
    {
        _stream = stream;
        Info = info;
    }

    public NbdExportInfo Info { get; private set; }

    public long Size => Info.Size;

    /// <summary>Payload bytes received by READ (data and holes) and sent by WRITE.</summary>
    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public long BytesWritten => Interlocked.Read(ref _bytesWritten);

    /// <summary>Connects over TCP (Nagle off) to <paramref name="host"/>:<paramref name="port"/> and opens <paramref name="export"/>.</summary>
    public static async Task<NbdClient> ConnectAsync(string host, int port, string export, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new NbdClientException(NbdClientError.ConnectionLost, $"cannot connect to NBD server {host}:{port}: {e.Message}", 0, e);
        }

        return await OpenAsync(new NetworkStream(socket, ownsSocket: true), export, cancellationToken);
    }

    public static Task<NbdClient> ConnectAsync(NbdUri uri, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(uri);
        return ConnectAsync(uri.Host, uri.Port, uri.Export, cancellationToken);
    }

    /// <summary>Runs the handshake on a connected <paramref name="stream"/> (which the client then owns).</summary>
    public static async Task<NbdClient> OpenAsync(Stream stream, string export, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(export);
        try
        {
            var info = await HandshakeAsync(stream, export, cancellationToken);
            var client = new NbdClient(stream, info);
            client._reader = Task.Run(client.ReadLoopAsync, CancellationToken.None);
            return client;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException)
        {
            await stream.DisposeAsync();
            throw new NbdClientException(NbdClientError.ConnectionLost, $"NBD server closed the connection during the handshake: {e.Message}", 0, e);
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>Reads <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> (split at the
    /// server's maximum block size; the parts run in parallel).</summary>
    public Task ReadAsync(long offset, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        CheckRange(offset, buffer.Length);
        var max = (int)Math.Min(Info.MaximumBlockSize, NbdLimits.MaxPayload);
        if (buffer.Length <= max)
        {
            return SendAsync(NbdProtocol.CmdRead, 0, offset, buffer.Length, buffer, default, cancellationToken);
        }

        var parts = new List<Task>();
        for (var p = 0; p < buffer.Length; p += max)
        {
            var n = Math.Min(max, buffer.Length - p);
            parts.Add(SendAsync(NbdProtocol.CmdRead, 0, offset + p, n, buffer.Slice(p, n), default, cancellationToken));
        }

        return Task.WhenAll(parts);
    }

    public Task WriteAsync(long offset, ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        CheckRange(offset, data.Length);
        if (Info.ReadOnly)
        {
            throw new NbdClientException(NbdClientError.NotSupported, $"export '{Info.Name}' is read-only");
        }

        var max = (int)Math.Min(Info.MaximumBlockSize, NbdLimits.MaxPayload);
        if (data.Length <= max)
        {
            return SendAsync(NbdProtocol.CmdWrite, 0, offset, data.Length, default, data, cancellationToken);
        }

        var parts = new List<Task>();
        for (var p = 0; p < data.Length; p += max)
        {
            var n = Math.Min(max, data.Length - p);
            parts.Add(SendAsync(NbdProtocol.CmdWrite, 0, offset + p, n, default, data.Slice(p, n), cancellationToken));
        }

        return Task.WhenAll(parts);
    }

    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!Info.CanFlush)
        {
            throw new NbdClientException(NbdClientError.NotSupported, $"export '{Info.Name}' does not accept FLUSH");
        }

        return SendAsync(NbdProtocol.CmdFlush, 0, 0, 0, default, default, cancellationToken);
    }

    /// <summary>base:allocation extents from <paramref name="offset"/> on; the server may describe less
    /// than <paramref name="length"/> (ask again from the end of the last extent).</summary>
    public async Task<IReadOnlyList<NbdExtent>> BlockStatusAsync(long offset, long length, CancellationToken cancellationToken = default)
    {
        if (Info.BaseAllocationId is null)
        {
            throw new NbdClientException(NbdClientError.NotSupported, $"server did not agree to base:allocation for '{Info.Name}'");
        }

        var n = (int)Math.Min(length, Math.Min(int.MaxValue, Size - offset));
        CheckRange(offset, n);
        var p = await SendCoreAsync(NbdProtocol.CmdBlockStatus, 0, offset, n, default, default, cancellationToken);
        return p.Extents ?? [];
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_broken is null)
        {
            try
            {
                // NBD_CMD_DISC: no reply; the server closes after answering what is outstanding.
                var header = new byte[NbdProtocol.RequestHeaderLength];
                WriteHeader(header, NbdProtocol.CmdDisc, 0, (ulong)Interlocked.Increment(ref _nextHandle), 0, 0);
                await _sendLock.WaitAsync();
                try
                {
                    await _stream.WriteAsync(header);
                    await _stream.FlushAsync();
                }
                finally
                {
                    _sendLock.Release();
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
            {
                // the server is gone already; nothing to say goodbye to
            }
        }

        Fail(new NbdClientException(NbdClientError.ConnectionLost, "NBD client was closed with the request outstanding"));
        await _closing.CancelAsync();
        await _stream.DisposeAsync();
        try
        {
            await _reader;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or NbdClientException)
        {
        }

        _closing.Dispose();
        _sendLock.Dispose();
    }

    private void CheckRange(long offset, long length)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (offset < 0 || length < 0 || offset > Size || length > Size - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, +{length}) is outside the export's {Size} bytes");
        }
    }

    private async Task SendAsync(ushort type, ushort flags, long offset, int length, Memory<byte> readBuffer, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken) =>
        await SendCoreAsync(type, flags, offset, length, readBuffer, payload, cancellationToken);

    private async Task<Pending> SendCoreAsync(ushort type, ushort flags, long offset, int length, Memory<byte> readBuffer, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        if (_broken is { } broken)
        {
            throw Again(broken);
        }

        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var handle = (ulong)Interlocked.Increment(ref _nextHandle);
        var p = new Pending(type, offset, length, readBuffer);
        _pending[handle] = p;
        if (_broken is { } lateBroken && _pending.TryRemove(handle, out _))
        {
            throw Again(lateBroken);
        }

        var header = ArrayPool<byte>.Shared.Rent(NbdProtocol.RequestHeaderLength);
        try
        {
            WriteHeader(header, type, flags, handle, offset, length);
            await _sendLock.WaitAsync(cancellationToken);
            try
            {
                await _stream.WriteAsync(header.AsMemory(0, NbdProtocol.RequestHeaderLength), CancellationToken.None);
                if (!payload.IsEmpty)
                {
                    await _stream.WriteAsync(payload, CancellationToken.None);
                    Interlocked.Add(ref _bytesWritten, payload.Length);
                }
            }
            finally
            {
                _sendLock.Release();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            var lost = new NbdClientException(NbdClientError.ConnectionLost, $"NBD connection dropped while sending: {e.Message}", 0, e);
            Fail(lost);
            throw Again(lost);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(header);
        }

        await p.Done.Task.WaitAsync(cancellationToken);
        return p;
    }

    private static NbdClientException Again(NbdClientException e) => new(e.Error, e.Message, e.ErrorNumber, e);

    private static void WriteHeader(Span<byte> h, ushort type, ushort flags, ulong handle, long offset, int length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(h, NbdProtocol.RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(h[4..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(h[6..], type);
        BinaryPrimitives.WriteUInt64BigEndian(h[8..], handle);
        BinaryPrimitives.WriteUInt64BigEndian(h[16..], (ulong)offset);
        BinaryPrimitives.WriteUInt32BigEndian(h[24..], (uint)length);
    }

    /// <summary>Fails every outstanding request with <paramref name="e"/> and refuses new ones.</summary>
    private void Fail(NbdClientException e)
    {
        Interlocked.CompareExchange(ref _broken, e, null);
        foreach (var handle in _pending.Keys)
        {
            if (_pending.TryRemove(handle, out var p))
            {
                p.Done.TrySetException(Again(_broken!));
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        var header = new byte[NbdProtocol.StructuredReplyHeaderLength];
        var scratch = new byte[64 * 1024];
        var token = _closing.Token;
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(header.AsMemory(0, 4), token);
                var rest = NbdReplyCodec.HeaderRemainder(header, Info.StructuredReplies);
                await _stream.ReadExactlyAsync(header.AsMemory(4, rest), token);
                var h = NbdReplyCodec.ParseHeader(header.AsSpan(0, 4 + rest));
                if (!_pending.TryGetValue(h.Handle, out var p))
                {
                    throw NbdReplyCodec.Bad($"reply for handle {h.Handle}, which has no request outstanding", header.AsSpan(0, 4 + rest));
                }

                if (!h.Structured)
                {
                    if (h.Error != 0)
                    {
                        Complete(h.Handle, p, new NbdClientException(NbdClientError.ServerError, $"NBD server: {Describe(p)} failed with {NbdClientException.ErrnoName(h.Error)}", h.Error));
                        continue;
                    }

                    if (p.Type == NbdProtocol.CmdRead)
                    {
                        await _stream.ReadExactlyAsync(p.Buffer, token);
                        Interlocked.Add(ref _bytesRead, p.Length);
                        p.Covered.Add((0, p.Length));
                    }
                    else if (p.Type == NbdProtocol.CmdBlockStatus)
                    {
                        throw NbdReplyCodec.Bad("simple reply to BLOCK_STATUS", header.AsSpan(0, 16));
                    }

                    Complete(h.Handle, p, null);
                    continue;
                }

                var fixedLength = NbdReplyCodec.FixedPart(h, p.Type);
                var fixedPart = fixedLength <= scratch.Length ? scratch : new byte[fixedLength];
                await _stream.ReadExactlyAsync(fixedPart.AsMemory(0, fixedLength), token);
                switch (h.Type)
                {
                    case NbdProtocol.ReplyTypeNone:
                        break;
                    case NbdProtocol.ReplyTypeOffsetData:
                        {
                            var dataLength = (int)h.Length - 8;
                            var at = NbdReplyCodec.DataPlacement(fixedPart, dataLength, p.Offset, p.Length);
                            await _stream.ReadExactlyAsync(p.Buffer.Slice(at, dataLength), token);
                            Interlocked.Add(ref _bytesRead, dataLength);
                            p.Covered.Add((at, dataLength));
                            break;
                        }

                    case NbdProtocol.ReplyTypeOffsetHole:
                        {
                            var (at, length) = NbdReplyCodec.HolePlacement(fixedPart, p.Offset, p.Length);
                            p.Buffer.Span.Slice(at, length).Clear();
                            Interlocked.Add(ref _bytesRead, length);
                            p.Covered.Add((at, length));
                            break;
                        }

                    case NbdProtocol.ReplyTypeBlockStatus:
                        NbdReplyCodec.ParseBlockStatus(fixedPart.AsSpan(0, fixedLength), Info.BaseAllocationId ?? 0, p.Offset, p.Extents ??= []);
                        break;
                    default:
                        {
                            var (error, messageLength) = NbdReplyCodec.ParseErrorFixed(fixedPart, h);
                            var tail = new byte[h.Length - 6];
                            await _stream.ReadExactlyAsync(tail, token);
                            var message = NbdReplyCodec.Message(tail.AsSpan(0, messageLength));
                            p.Error ??= new NbdClientException(NbdClientError.ServerError, $"NBD server: {Describe(p)} failed with {NbdClientException.ErrnoName(error)}{(message.Length > 0 ? ": " + message : "")}", error);
                            break;
                        }
                }

                if ((h.Flags & NbdProtocol.ReplyFlagDone) != 0)
                {
                    if (p.Error is null && p.Type == NbdProtocol.CmdRead)
                    {
                        CheckCovered(p);
                    }

                    Complete(h.Handle, p, p.Error);
                }
            }
        }
        catch (NbdClientException e)
        {
            Fail(e);
            await _stream.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            Fail(new NbdClientException(NbdClientError.ConnectionLost, _disposed != 0 ? "NBD client was closed with the request outstanding" : $"NBD server closed the connection: {e.Message}", 0, e));
        }
    }

    private void Complete(ulong handle, Pending p, NbdClientException? error)
    {
        _pending.TryRemove(handle, out _);
        if (error is null)
        {
            p.Done.TrySetResult();
        }
        else
        {
            p.Done.TrySetException(error);
        }
    }

    /// <summary>A READ's chunks must tile the request exactly: no gap, no overlap.</summary>
    private static void CheckCovered(Pending p)
    {
        p.Covered.Sort();
        long next = 0;
        foreach (var (at, length) in p.Covered)
        {
            if (at != next)
            {
                throw new NbdClientException(NbdClientError.Protocol, $"NBD server sent an invalid reply: READ [{p.Offset}, +{p.Length}) chunks {(at < next ? "overlap" : "leave a gap")} at +{Math.Min(at, next)}");
            }

            next = at + length;
        }

        if (next != p.Length)
        {
            throw new NbdClientException(NbdClientError.Protocol, $"NBD server sent an invalid reply: READ [{p.Offset}, +{p.Length}) answered only {next} bytes");
        }
    }

    private static string Describe(Pending p) => p.Type switch
    {
        NbdProtocol.CmdRead => $"READ [{p.Offset}, +{p.Length})",
        NbdProtocol.CmdWrite => $"WRITE [{p.Offset}, +{p.Length})",
        NbdProtocol.CmdFlush => "FLUSH",
        NbdProtocol.CmdBlockStatus => $"BLOCK_STATUS [{p.Offset}, +{p.Length})",
        _ => $"command {p.Type}",
    };

    // ---- handshake ----

    private static async Task<NbdExportInfo> HandshakeAsync(Stream s, string export, CancellationToken ct)
    {
        var nameBytes = Encoding.UTF8.GetBytes(export);
        if (nameBytes.Length > NbdLimits.MaxString)
        {
            throw new ArgumentException($"export name longer than {NbdLimits.MaxString} bytes", nameof(export));
        }

        var greeting = new byte[NbdProtocol.GreetingLength];
        await s.ReadExactlyAsync(greeting, ct);
        if (BinaryPrimitives.ReadUInt64BigEndian(greeting) != NbdProtocol.InitMagic || BinaryPrimitives.ReadUInt64BigEndian(greeting.AsSpan(8)) != NbdProtocol.OptionMagic)
        {
            throw new NbdClientException(NbdClientError.Protocol, $"not an NBD newstyle server (greeting {NbdProtocolException.Show(greeting)})");
        }

        var serverFlags = BinaryPrimitives.ReadUInt16BigEndian(greeting.AsSpan(16));
        if ((serverFlags & NbdProtocol.FlagFixedNewstyle) == 0)
        {
            throw new NbdClientException(NbdClientError.Protocol, "NBD server does not speak fixed newstyle");
        }

        var clientFlags = NbdProtocol.ClientFlagFixedNewstyle | ((serverFlags & NbdProtocol.FlagNoZeroes) != 0 ? NbdProtocol.ClientFlagNoZeroes : 0);
        var cf = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(cf, clientFlags);
        await s.WriteAsync(cf, ct);

        // Structured replies: needed for holes and BLOCK_STATUS; a server without them gives simple replies.
        await SendOptionAsync(s, NbdProtocol.OptStructuredReply, [], ct);
        var structured = false;
        while (true)
        {
            var (type, _) = await ReadOptionReplyAsync(s, NbdProtocol.OptStructuredReply, ct);
            if (type == NbdProtocol.RepAck)
            {
                structured = true;
                break;
            }

            if ((type & 0x8000_0000) != 0)
            {
                break;
            }
        }

        uint? contextId = null;
        if (structured)
        {
            var query = Encoding.ASCII.GetBytes(NbdProtocol.BaseAllocation);
            var data = new byte[4 + nameBytes.Length + 4 + 4 + query.Length];
            BinaryPrimitives.WriteUInt32BigEndian(data, (uint)nameBytes.Length);
            nameBytes.CopyTo(data, 4);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(4 + nameBytes.Length), 1);
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(8 + nameBytes.Length), (uint)query.Length);
            query.CopyTo(data, 12 + nameBytes.Length);
            await SendOptionAsync(s, NbdProtocol.OptSetMetaContext, data, ct);
            while (true)
            {
                var (type, reply) = await ReadOptionReplyAsync(s, NbdProtocol.OptSetMetaContext, ct);
                if (type == NbdProtocol.RepMetaContext && reply.Length >= 4 && Encoding.ASCII.GetString(reply, 4, reply.Length - 4) == NbdProtocol.BaseAllocation)
                {
                    contextId = BinaryPrimitives.ReadUInt32BigEndian(reply);
                }
                else if (type == NbdProtocol.RepAck || (type & 0x8000_0000) != 0)
                {
                    break;
                }
            }
        }

        // OPT_GO: export name, then the one info request we care about (block sizes).
        var go = new byte[4 + nameBytes.Length + 2 + 2];
        BinaryPrimitives.WriteUInt32BigEndian(go, (uint)nameBytes.Length);
        nameBytes.CopyTo(go, 4);
        BinaryPrimitives.WriteUInt16BigEndian(go.AsSpan(4 + nameBytes.Length), 1);
        BinaryPrimitives.WriteUInt16BigEndian(go.AsSpan(6 + nameBytes.Length), NbdProtocol.InfoBlockSize);
        await SendOptionAsync(s, NbdProtocol.OptGo, go, ct);
        long? size = null;
        ushort txFlags = 0;
        uint min = 1, preferred = 4096, max = NbdLimits.MaxPayload;
        while (true)
        {
            var (type, reply) = await ReadOptionReplyAsync(s, NbdProtocol.OptGo, ct);
            if (type == NbdProtocol.RepAck)
            {
                break;
            }

            if ((type & 0x8000_0000) != 0)
            {
                var why = type switch
                {
                    NbdProtocol.RepErrUnknown => "does not exist",
                    NbdProtocol.RepErrPolicy => "is refused by the server's policy",
                    NbdProtocol.RepErrUnsup => "cannot be opened (server does not support OPT_GO)",
                    NbdProtocol.RepErrShutdown => "is unavailable: the server is shutting down",
                    0x80000005 => "requires TLS",
                    _ => $"was refused (reply 0x{type:x8})",
                };
                var message = NbdReplyCodec.Message(reply);
                throw new NbdClientException(NbdClientError.Refused, $"NBD export '{export}' {why}{(message.Length > 0 ? ": " + message : "")}");
            }

            if (type != NbdProtocol.RepInfo)
            {
                continue;
            }

            if (reply.Length < 2)
            {
                throw NbdReplyCodec.Bad("NBD_REP_INFO without an info type", reply);
            }

            var infoType = BinaryPrimitives.ReadUInt16BigEndian(reply);
            if (infoType == NbdProtocol.InfoExport)
            {
                if (reply.Length != 12)
                {
                    throw NbdReplyCodec.Bad("NBD_INFO_EXPORT is not 12 bytes", reply);
                }

                var sz = BinaryPrimitives.ReadUInt64BigEndian(reply.AsSpan(2));
                if (sz > long.MaxValue)
                {
                    throw NbdReplyCodec.Bad("export size beyond 2^63", reply);
                }

                size = (long)sz;
                txFlags = BinaryPrimitives.ReadUInt16BigEndian(reply.AsSpan(10));
            }
            else if (infoType == NbdProtocol.InfoBlockSize)
            {
                if (reply.Length != 14)
                {
                    throw NbdReplyCodec.Bad("NBD_INFO_BLOCK_SIZE is not 14 bytes", reply);
                }

                min = BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(2));
                preferred = BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(6));
                max = BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(10));
                if (min == 0 || max < min || max == 0)
                {
                    throw NbdReplyCodec.Bad($"block sizes min {min} preferred {preferred} max {max}", reply);
                }
            }
        }

        if (size is null)
        {
            throw new NbdClientException(NbdClientError.Protocol, $"NBD server acknowledged OPT_GO for '{export}' without NBD_INFO_EXPORT");
        }

        return new NbdExportInfo
        {
            Name = export,
            Size = size.Value,
            TransmissionFlags = txFlags,
            MinimumBlockSize = min,
            PreferredBlockSize = preferred,
            MaximumBlockSize = Math.Min(max, (uint)NbdLimits.MaxPayload),
            StructuredReplies = structured,
            BaseAllocationId = contextId,
        };
    }

    private static async Task SendOptionAsync(Stream s, uint option, byte[] data, CancellationToken ct)
    {
        var msg = new byte[NbdProtocol.OptionHeaderLength + data.Length];
        BinaryPrimitives.WriteUInt64BigEndian(msg, NbdProtocol.OptionMagic);
        BinaryPrimitives.WriteUInt32BigEndian(msg.AsSpan(8), option);
        BinaryPrimitives.WriteUInt32BigEndian(msg.AsSpan(12), (uint)data.Length);
        data.CopyTo(msg, NbdProtocol.OptionHeaderLength);
        await s.WriteAsync(msg, ct);
        await s.FlushAsync(ct);
    }

    private static async Task<(uint Type, byte[] Data)> ReadOptionReplyAsync(Stream s, uint option, CancellationToken ct)
    {
        var h = new byte[20];
        await s.ReadExactlyAsync(h, ct);
        if (BinaryPrimitives.ReadUInt64BigEndian(h) != NbdProtocol.OptionReplyMagic)
        {
            throw NbdReplyCodec.Bad("option reply magic", h);
        }

        var echoed = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(8));
        if (echoed != option)
        {
            throw NbdReplyCodec.Bad($"option reply for option {echoed}, expected {option}", h);
        }

        var type = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(12));
        var length = BinaryPrimitives.ReadUInt32BigEndian(h.AsSpan(16));
        if (length > NbdLimits.MaxOptionData)
        {
            throw NbdReplyCodec.Bad($"option reply of {length} bytes", h);
        }

        var data = new byte[length];
        await s.ReadExactlyAsync(data, ct);
        return (type, data);
    }

    private sealed class Pending(ushort type, long offset, int length, Memory<byte> buffer)
    {
        public ushort Type { get; } = type;

        public long Offset { get; } = offset;

        public int Length { get; } = length;

        public Memory<byte> Buffer { get; } = buffer;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<(int At, int Length)> Covered { get; } = [];

        public List<NbdExtent>? Extents { get; set; }

        public NbdClientException? Error { get; set; }
    }
}

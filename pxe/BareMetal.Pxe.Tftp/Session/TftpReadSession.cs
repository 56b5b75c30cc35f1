using System.Globalization;
using System.Net;
using BareMetal.Pxe.Tftp.Policy;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tftp.Session;

/// <summary>
/// One transfer, as a pure state machine: no sockets, no clock of its own. The shell feeds it the
/// datagrams from the client (<see cref="Handle"/>) and the time (<see cref="OnTimer"/>), and sends
/// what it answers. Time is a monotonic <see cref="TimeSpan"/> from any fixed origin.
/// <para>
/// Blocks are numbered absolutely (1, 2, ... beyond 65535) inside; on the wire block n is sent as
/// n mod 65536, so after 65535 comes 0, as tftp-hpa, atftp, curl and iPXE expect (RFC 1350 says
/// nothing; "wrap to 1" servers exist but break those clients).
/// </para>
/// </summary>
public sealed class TftpReadSession : IDisposable
{
    private readonly TftpRequest _request;
    private readonly ITftpFileProvider _provider;
    private readonly IPEndPoint _client;
    private readonly TftpSessionLimits _limits;
    private readonly List<TftpOption> _accepted = [];
    private ITftpContent? _content;
    private long _length;
    private bool _opened;

    /// <summary>Absolute number of the final block, the short (maybe empty) one that ends the transfer.</summary>
    private long _lastBlock;

    /// <summary>Highest block the client acknowledged (0: none, or the OACK).</summary>
    private long _acked;

    /// <summary>Highest block sent in the current window.</summary>
    private long _sent;

    private int _retries;

    public TftpReadSession(TftpRequest request, IPEndPoint client, ITftpFileProvider provider, TftpSessionLimits limits)
    {
        _request = request;
        _client = client;
        _provider = provider;
        _limits = limits;
        Timeout = limits.Timeout;
    }

    public TftpSessionState State { get; private set; }

    public bool IsOver => State is TftpSessionState.Completed or TftpSessionState.Aborted or TftpSessionState.Failed;

    public TftpRequest Request => _request;

    /// <summary>Negotiated values (RFC 1350 defaults until options are accepted).</summary>
    public int BlockSize { get; private set; } = TftpLimits.DefaultBlockSize;

    public int WindowSize { get; private set; } = 1;

    public TimeSpan Timeout { get; private set; }

    /// <summary>Bytes the client will receive (after netascii conversion); -1 before <see cref="Start"/> opened the file.</summary>
    public long Length => _opened ? _length : -1;

    /// <summary>When <see cref="OnTimer"/> must next be called; null when no answer is awaited.</summary>
    public TimeSpan? Deadline { get; private set; }

    /// <summary>Why the session failed or aborted, for the log.</summary>
    public string? EndReason { get; private set; }

    /// <summary>The ERROR code the request was refused with before any transfer began (missing file, jail, options); null otherwise.</summary>
    public TftpErrorCode? RefusedWith { get; private set; }

    /// <summary>DATA payload bytes rendered so far, resends included.</summary>
    public long BytesSent { get; private set; }

    /// <summary>Block resends caused by timeouts or a client's rewind.</summary>
    public long Retransmissions { get; private set; }

    /// <summary>The options the OACK carries, once <see cref="Start"/> has run.</summary>
    public IReadOnlyList<TftpOption> AcceptedOptions => _accepted;

    /// <summary>Checks the request, opens the file, negotiates options; answers with the OACK, the first window or an ERROR.</summary>
    public TftpSend Start(TimeSpan now)
    {
        if (State != TftpSessionState.Created)
        {
            throw new InvalidOperationException("session already started");
        }
        if (!_request.IsRead)
        {
            return Refuse(TftpErrorCode.AccessViolation, "writes are not allowed");
        }
        if (_request.Mode == TftpMode.Mail)
        {
            return Refuse(TftpErrorCode.IllegalOperation, "mail mode is not supported");
        }
        var open = _provider.Open(new TftpFileRequest(_request.Filename, _client, _request.Mode));
        if (open.Content is null)
        {
            return Refuse(open.Error, open.Message);
        }
        _content = open.Content;
        if (_request.Mode == TftpMode.Netascii)
        {
            var converted = NetasciiEncoder.Convert(_content, _limits.MaxNetasciiSize);
            _content.Dispose();
            _content = converted;
            if (_content is null)
            {
                return Refuse(TftpErrorCode.DiskFull, $"file too large for netascii (limit {_limits.MaxNetasciiSize} bytes); ask in octet mode");
            }
        }
        _length = _content.Length;
        _opened = true;
        if (Negotiate() is { } refusal)
        {
            return refusal;
        }
        _lastBlock = (_length / BlockSize) + 1;
        if (_accepted.Count > 0)
        {
            State = TftpSessionState.AwaitingOptionAck;
            Deadline = now + Timeout;
            return TftpSend.OptionAck;
        }
        State = TftpSessionState.Transferring;
        return SendWindow(now);
    }

    /// <summary>
    /// One datagram from the client's TID. Malformed ones throw <see cref="TftpProtocolException"/>
    /// (the shell logs and drops them, the transfer goes on); unexpected ones are ignored.
    /// </summary>
    public TftpSend Handle(ReadOnlySpan<byte> datagram, TimeSpan now)
    {
        var op = TftpCodec.ReadOpcode(datagram);
        if (IsOver || State == TftpSessionState.Created)
        {
            return TftpSend.None;
        }
        switch (op)
        {
            case TftpOpcode.Ack:
                return OnAck(TftpCodec.ReadAck(datagram).Block, now);
            case TftpOpcode.Error:
                var error = TftpCodec.ReadError(datagram);
                // RFC 2347: a client that dislikes the OACK answers ERROR 8. PXE ROMs do this on
                // purpose: RRQ with tsize, read the size, abort, ask again. Nothing went wrong.
                State = State == TftpSessionState.AwaitingOptionAck ? TftpSessionState.Aborted : TftpSessionState.Failed;
                EndReason = $"client sent error {(int)error.Code} ({error.Code}): {error.Message}";
                Deadline = null;
                return TftpSend.None;
            default:
                // DATA, OACK or a request on our TID: not part of a read transfer. RFC 1350 lets us
                // ignore it; answering would let a spoofed packet end a good transfer.
                return TftpSend.None;
        }
    }

    /// <summary>Resends the OACK or the window from the last ACK when the deadline passed; gives up after the retry limit.</summary>
    public TftpSend OnTimer(TimeSpan now)
    {
        if (IsOver || Deadline is not { } deadline || now < deadline)
        {
            return TftpSend.None;
        }
        if (++_retries > _limits.MaxRetries)
        {
            State = TftpSessionState.Failed;
            EndReason = $"no answer after {_limits.MaxRetries} retries";
            Deadline = null;
            return TftpSend.Error(TftpErrorCode.NotDefined, "timed out");
        }
        if (State == TftpSessionState.AwaitingOptionAck)
        {
            Deadline = now + Timeout;
            return TftpSend.OptionAck;
        }
        var send = SendWindow(now);
        Retransmissions += send.Count;
        return send;
    }

    /// <summary>Ends the transfer from outside (read error, shutdown) with an ERROR for the client.</summary>
    public TftpSend Fail(TftpErrorCode code, string message)
    {
        if (IsOver)
        {
            return TftpSend.None;
        }
        State = TftpSessionState.Failed;
        EndReason = message;
        Deadline = null;
        return TftpSend.Error(code, message);
    }

    /// <summary>Marks the transfer failed without a word to the client (it is gone: ICMP port unreachable).</summary>
    public void Abandon(string reason)
    {
        if (!IsOver)
        {
            State = TftpSessionState.Failed;
            EndReason = reason;
            Deadline = null;
        }
    }

    /// <summary>Absolute number of the final DATA block (0 before the file is open).</summary>
    public long LastBlock => _lastBlock;

    /// <summary>
    /// Writes DATA packet <paramref name="block"/> (absolute, 1..<see cref="LastBlock"/>) into
    /// <paramref name="destination"/> and returns its length, without counting it as sent: a shell may
    /// read the next block ahead while the client is busy, then send it with <see cref="CountSent"/>.
    /// </summary>
    public int RenderBlock(long block, Span<byte> destination)
    {
        if (_content is null || block < 1 || block > _lastBlock)
        {
            throw new ArgumentOutOfRangeException(nameof(block), $"block {block} is not 1..{_lastBlock} of an open transfer");
        }
        var offset = (block - 1) * BlockSize;
        var size = (int)Math.Min(BlockSize, _length - offset);
        TftpCodec.WriteDataHeader(destination, unchecked((ushort)block));
        var n = _content.Read(offset, destination.Slice(TftpLimits.HeaderSize, size));
        if (n != size)
        {
            throw new IOException($"short read at {offset}: {n} of {size} bytes");
        }
        return TftpLimits.HeaderSize + size;
    }

    /// <summary>Counts a DATA packet rendered by <see cref="RenderBlock"/> as sent.</summary>
    public void CountSent(int packetLength) => BytesSent += packetLength - TftpLimits.HeaderSize;

    /// <summary>Writes packet <paramref name="index"/> of <paramref name="send"/> into <paramref name="destination"/>; returns its length.</summary>
    public int Render(in TftpSend send, int index, Span<byte> destination)
    {
        switch (send.Kind)
        {
            case TftpSendKind.OptionAck:
                return TftpCodec.WriteOptionAck(destination, _accepted);
            case TftpSendKind.Error:
                return TftpCodec.WriteError(destination, send.ErrorCode, send.ErrorMessage ?? "");
            case TftpSendKind.Data:
                var length = RenderBlock(send.FirstBlock + index, destination);
                CountSent(length);
                return length;
            default:
                throw new ArgumentException("nothing to render", nameof(send));
        }
    }

    /// <summary>Largest packet <see cref="Render"/> may write for this session (size the send buffer with it).</summary>
    public int MaxPacketSize => Math.Max(BlockSize + TftpLimits.HeaderSize, TftpLimits.MaxErrorMessageLength + TftpLimits.HeaderSize + 1);

    public void Dispose()
    {
        _content?.Dispose();
        _content = null;
    }

    private TftpSend OnAck(ushort wire, TimeSpan now)
    {
        if (State == TftpSessionState.AwaitingOptionAck)
        {
            if (wire != 0)
            {
                return TftpSend.None;
            }
            State = TftpSessionState.Transferring;
            _retries = 0;
            return SendWindow(now);
        }
        // Which outstanding block does this 16-bit number name? Counting forward from the last
        // ACK is unambiguous because a window never exceeds 65535 blocks.
        var delta = (wire - (int)(_acked & 0xFFFF)) & 0xFFFF;
        if (delta == 0)
        {
            // A duplicate ACK. Answering it would double every later packet (the Sorcerer's
            // Apprentice bug, RFC 1123 4.2.3.1): only the timer resends.
            return TftpSend.None;
        }
        var block = _acked + delta;
        if (block > _sent)
        {
            // Stale or bogus: a block we have not sent.
            return TftpSend.None;
        }
        _acked = block;
        _retries = 0;
        if (block == _lastBlock)
        {
            State = TftpSessionState.Completed;
            Deadline = null;
            return TftpSend.None;
        }
        // The last block of the window moves the window on. An earlier one is the client saying
        // it lost what followed (RFC 7440 section 4): the next window starts right after it.
        if (block < _sent)
        {
            Retransmissions += _sent - block;
        }
        return SendWindow(now);
    }

    private TftpSend SendWindow(TimeSpan now)
    {
        var first = _acked + 1;
        var count = (int)Math.Min(WindowSize, _lastBlock - _acked);
        _sent = _acked + count;
        Deadline = now + Timeout;
        return TftpSend.Data(first, count);
    }

    private TftpSend Refuse(TftpErrorCode code, string message)
    {
        RefusedWith = code;
        State = TftpSessionState.Failed;
        EndReason = message;
        Deadline = null;
        return TftpSend.Error(code, message);
    }

    /// <summary>
    /// RFC 2347/2348/2349/7440. Unknown options are left out of the OACK. A value outside the range
    /// its RFC defines is refused with ERROR 8 (RFC 2347 allows it, and a ROM that sends blksize 0
    /// has a bug worth seeing); a valid value above our limit is lowered, as RFC 2348 permits.
    /// </summary>
    private TftpSend? Negotiate()
    {
        foreach (var option in _request.Options)
        {
            var name = option.Name.ToLowerInvariant();
            switch (name)
            {
                case "blksize":
                    if (!TryParseDecimal(option.Value, out var blksize) || blksize < TftpLimits.MinBlockSize)
                    {
                        return Refuse(TftpErrorCode.OptionsRefused, $"blksize \"{option.Value}\" is not {TftpLimits.MinBlockSize}..{TftpLimits.MaxBlockSize}");
                    }
                    BlockSize = (int)Math.Min(blksize, Math.Min(_limits.MaxBlockSize, TftpLimits.MaxBlockSize));
                    _accepted.Add(new TftpOption(name, BlockSize.ToString(CultureInfo.InvariantCulture)));
                    break;
                case "tsize":
                    // In an RRQ the client sends 0 and we answer the size; any other number is ignored the same way.
                    if (!TryParseDecimal(option.Value, out _))
                    {
                        return Refuse(TftpErrorCode.OptionsRefused, $"tsize \"{option.Value}\" is not a number");
                    }
                    _accepted.Add(new TftpOption(name, _length.ToString(CultureInfo.InvariantCulture)));
                    break;
                case "timeout":
                    if (!TryParseDecimal(option.Value, out var seconds) || seconds is < 1 or > 255)
                    {
                        return Refuse(TftpErrorCode.OptionsRefused, $"timeout \"{option.Value}\" is not 1..255");
                    }
                    Timeout = TimeSpan.FromSeconds(seconds);
                    _accepted.Add(new TftpOption(name, seconds.ToString(CultureInfo.InvariantCulture)));
                    break;
                case "windowsize":
                    if (!TryParseDecimal(option.Value, out var window) || window < 1)
                    {
                        return Refuse(TftpErrorCode.OptionsRefused, $"windowsize \"{option.Value}\" is not 1..{TftpLimits.MaxWindowSize}");
                    }
                    WindowSize = (int)Math.Min(window, Math.Clamp(_limits.MaxWindowSize, 1, TftpLimits.MaxWindowSize));
                    _accepted.Add(new TftpOption(name, WindowSize.ToString(CultureInfo.InvariantCulture)));
                    break;
            }
        }
        return null;
    }

    /// <summary>ASCII digits only (no sign, no spaces), at most 18 of them so the value fits a long.</summary>
    private static bool TryParseDecimal(string text, out long value)
    {
        value = 0;
        if (text.Length is 0 or > 18)
        {
            return false;
        }
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
            value = (value * 10) + (c - '0');
        }
        return true;
    }
}

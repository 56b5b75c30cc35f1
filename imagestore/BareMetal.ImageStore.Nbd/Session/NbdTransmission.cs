using System.Buffers.Binary;
using System.Text;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Nbd.Counters;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Session;

/// <summary>
/// The transmission phase of one connection, without sockets: a request (and a WRITE's payload) in,
/// the complete reply bytes out. Every request is validated once (<see cref="Validate"/>) and every
/// failure becomes an NBD error reply; the connection stays up. Thread-safe: the connection runs
/// requests concurrently and sends replies in whatever order they finish.
/// </summary>
public sealed class NbdTransmission
{
    /// <summary>Content chunks in one structured READ reply before we fall back to one data chunk.</summary>
    public const int MaxReadChunks = 64;

    /// <summary>Descriptors of a BLOCK_STATUS extent are capped so each is a 512-aligned u32.</summary>
    private const long MaxDescriptorLength = 0xFFFF_FE00;

    private readonly NbdExport _export;
    private readonly BlockCounters? _client;

    public NbdTransmission(NbdExport export, bool structuredReplies, bool baseAllocation, bool blockSizeAgreed, BlockCounters? client = null)
    {
        _export = export ?? throw new ArgumentNullException(nameof(export));
        StructuredReplies = structuredReplies;
        BaseAllocation = baseAllocation;
        Alignment = blockSizeAgreed ? export.MinimumBlockSize : 1;
        _client = client;
    }

    public bool StructuredReplies { get; }

    public bool BaseAllocation { get; }

    /// <summary>Offsets and lengths must be multiples of this (1 unless the client agreed to our block size).</summary>
    public uint Alignment { get; }

    public NbdExport Export => _export;

    /// <summary>Flags each command may carry (FUA is accepted everywhere: clients set it on reads too).</summary>
    private ushort AllowedFlags(ushort type) => (ushort)(NbdProtocol.CmdFlagFua | type switch
    {
        NbdProtocol.CmdRead => StructuredReplies ? NbdProtocol.CmdFlagDf : 0,
        NbdProtocol.CmdWriteZeroes => NbdProtocol.CmdFlagNoHole | NbdProtocol.CmdFlagFastZero,
        NbdProtocol.CmdBlockStatus => NbdProtocol.CmdFlagReqOne,
        _ => 0,
    });

    private static bool Writes(ushort type) => type is NbdProtocol.CmdWrite or NbdProtocol.CmdTrim or NbdProtocol.CmdWriteZeroes;

    /// <summary>0 when the request may run, else the NBD error to answer with (and why).</summary>
    public (uint Error, string? Why) Validate(in NbdRequest r)
    {
        if (r.Type > NbdProtocol.CmdBlockStatus)
        {
            return (NbdProtocol.EINVAL, $"unknown command {r.Type}");
        }
        if ((r.Flags & ~AllowedFlags(r.Type)) != 0)
        {
            return (NbdProtocol.EINVAL, $"flags 0x{r.Flags:x} are not valid for command {r.Type}");
        }
        if (r.Type is NbdProtocol.CmdDisc or NbdProtocol.CmdFlush)
        {
            return (0, null);
        }
        if (Writes(r.Type) && _export.ReadOnly)
        {
            return (NbdProtocol.EPERM, "the export is read-only");
        }
        if (r.Length == 0)
        {
            return (NbdProtocol.EINVAL, "zero-length request");
        }
        if (r.Type == NbdProtocol.CmdRead && r.Length > NbdLimits.MaxPayload)
        {
            return (NbdProtocol.EINVAL, $"read of {r.Length} bytes exceeds the {NbdLimits.MaxPayload}-byte limit");
        }
        var size = (ulong)_export.Size;
        if (r.Offset > size || r.Length > size - r.Offset)
        {
            return (Writes(r.Type) ? NbdProtocol.ENOSPC : NbdProtocol.EINVAL, $"range {r.Offset}+{r.Length} is beyond the end of the export ({size})");
        }
        if (Alignment > 1 && (r.Offset % Alignment != 0 || r.Length % Alignment != 0))
        {
            return (NbdProtocol.EINVAL, $"range {r.Offset}+{r.Length} is not aligned to {Alignment}");
        }
        if (r.Type == NbdProtocol.CmdBlockStatus && !BaseAllocation)
        {
            return (NbdProtocol.EINVAL, "BLOCK_STATUS without a negotiated meta context");
        }
        return (0, null);
    }

    /// <summary>
    /// Runs one request and returns its reply (null for DISC, which has none). The payload is a WRITE's
    /// data, exactly r.Length bytes (empty for every other command).
    /// </summary>
    public PooledReply? Execute(in NbdRequest r, ReadOnlySpan<byte> payload)
    {
        var counters = _export.Counters;
        counters.Request(_client);
        var (error, why) = Validate(r);
        if (error != 0)
        {
            return ErrorReply(r, error, why!);
        }
        var write = Writes(r.Type) || r.Type == NbdProtocol.CmdFlush;
        if (!_export.TryEnter(write))
        {
            // Reset withdrew the export; the connection is being closed too.
            return ErrorReply(r, NbdProtocol.ESHUTDOWN, $"export '{_export.Name}' was reset");
        }
        try
        {
            switch (r.Type)
            {
                case NbdProtocol.CmdDisc:
                    return null;
                case NbdProtocol.CmdRead:
                    var reply = StructuredReplies ? StructuredRead(r) : SimpleRead(r);
                    counters.Read(_client, (long)r.Offset, r.Length);
                    return reply;
                case NbdProtocol.CmdWrite:
                    _export.Disk.Write((long)r.Offset, payload[..(int)r.Length]);
                    counters.Written(_client, (long)r.Offset, r.Length);
                    Fua(r);
                    return Ok(r);
                case NbdProtocol.CmdWriteZeroes when (r.Flags & NbdProtocol.CmdFlagFastZero) != 0:
                    // FAST_ZERO may succeed only when zeroing is cheaper than writing: decided per range
                    // (qcow2 zeroes whole clusters in metadata, but a partial cluster means writing data).
                    if (!_export.Disk.TryWriteZeroesFast((long)r.Offset, r.Length))
                    {
                        return ErrorReply(r, NbdProtocol.ENOTSUP, $"range {r.Offset}+{r.Length} cannot be zeroed faster than written");
                    }
                    counters.Written(_client, (long)r.Offset, r.Length);
                    Fua(r);
                    return Ok(r);
                case NbdProtocol.CmdWriteZeroes:
                    _export.Disk.WriteZeroes((long)r.Offset, r.Length);
                    counters.Written(_client, (long)r.Offset, r.Length);
                    Fua(r);
                    return Ok(r);
                case NbdProtocol.CmdTrim:
                    // TRIM is a hint; contents after it are unspecified, so keeping the data is correct
                    // (and keeps a base's bytes visible through an overlay).
                    Fua(r);
                    return Ok(r);
                case NbdProtocol.CmdFlush:
                    _export.Disk.Flush();
                    return Ok(r);
                case NbdProtocol.CmdCache:
                    // Our reads are served from the page cache already; nothing to prefetch.
                    return Ok(r);
                case NbdProtocol.CmdBlockStatus:
                    return BlockStatus(r);
                default:
                    return ErrorReply(r, NbdProtocol.EINVAL, $"unknown command {r.Type}");
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException or NotSupportedException)
        {
            // ImageFormatException is an IOException: corrupt metadata met mid-request.
            return ErrorReply(r, e is ImageFormatException { Reason: ImageError.ReadOnly } ? NbdProtocol.EPERM : NbdProtocol.EIO, e.Message);
        }
        catch (ArgumentOutOfRangeException e)
        {
            return ErrorReply(r, NbdProtocol.EINVAL, e.Message);
        }
        finally
        {
            _export.Exit(write);
        }
    }

    private void Fua(in NbdRequest r)
    {
        if ((r.Flags & NbdProtocol.CmdFlagFua) != 0)
        {
            _export.Disk.Flush();
        }
    }

    private static PooledReply Ok(in NbdRequest r)
    {
        var reply = new PooledReply(NbdProtocol.SimpleReplyHeaderLength);
        NbdCodec.WriteSimpleReply(reply.Span, 0, r.Handle);
        return reply;
    }

    /// <summary>An error: a structured ERROR chunk carrying the reason when negotiated, else a simple reply.</summary>
    public PooledReply ErrorReply(in NbdRequest r, uint error, string message)
    {
        if (!StructuredReplies)
        {
            var simple = new PooledReply(NbdProtocol.SimpleReplyHeaderLength);
            NbdCodec.WriteSimpleReply(simple.Span, error, r.Handle);
            return simple;
        }
        var text = Encoding.UTF8.GetBytes(message);
        var msgLen = Math.Min(text.Length, 1024);
        var reply = new PooledReply(NbdProtocol.StructuredReplyHeaderLength + 6 + msgLen);
        var s = reply.Span;
        NbdCodec.WriteChunkHeader(s, NbdProtocol.ReplyFlagDone, NbdProtocol.ReplyTypeError, r.Handle, (uint)(6 + msgLen));
        BinaryPrimitives.WriteUInt32BigEndian(s[20..], error);
        BinaryPrimitives.WriteUInt16BigEndian(s[24..], (ushort)msgLen);
        text.AsSpan(0, msgLen).CopyTo(s[26..]);
        return reply;
    }

    private PooledReply SimpleRead(in NbdRequest r)
    {
        var reply = new PooledReply(NbdProtocol.SimpleReplyHeaderLength + (int)r.Length);
        try
        {
            _export.Read((long)r.Offset, reply.Span[NbdProtocol.SimpleReplyHeaderLength..]);
        }
        catch
        {
            reply.Dispose();
            throw;
        }
        NbdCodec.WriteSimpleReply(reply.Span, 0, r.Handle);
        return reply;
    }

    /// <summary>
    /// A structured READ: OFFSET_DATA chunks for data and OFFSET_HOLE chunks for ranges that read as
    /// zeros (the zeros are not sent), the last chunk flagged DONE. With DF, or when the map is too
    /// fragmented, one data chunk covers everything.
    /// </summary>
    private PooledReply StructuredRead(in NbdRequest r)
    {
        var offset = (long)r.Offset;
        var length = (int)r.Length;
        Span<(long Start, int Length, bool Hole)> segments = stackalloc (long, int, bool)[MaxReadChunks];
        var count = 0;
        if ((r.Flags & NbdProtocol.CmdFlagDf) == 0 && _export.MapForRead(offset, length) is { } map)
        {
            foreach (var e in map)
            {
                // Whatever reads as zeros goes out as a hole chunk, including holes under a raw-mapped
                // file (fixed VHD, flat VMDK), which maps call zero and data at once.
                var hole = e.Zero;
                if (count > 0 && segments[count - 1].Hole == hole)
                {
                    segments[count - 1].Length += (int)e.Length;
                    continue;
                }
                if (count == MaxReadChunks)
                {
                    count = 0;
                    break;
                }
                segments[count++] = (e.Start, (int)e.Length, hole);
            }
        }
        if (count == 0)
        {
            segments[0] = (offset, length, false);
            count = 1;
        }
        var total = 0;
        for (var i = 0; i < count; i++)
        {
            total += NbdProtocol.StructuredReplyHeaderLength + (segments[i].Hole ? 12 : 8 + segments[i].Length);
        }
        var reply = new PooledReply(total);
        try
        {
            var s = reply.Span;
            var pos = 0;
            for (var i = 0; i < count; i++)
            {
                var (start, len, hole) = segments[i];
                var flags = i == count - 1 ? NbdProtocol.ReplyFlagDone : (ushort)0;
                if (hole)
                {
                    NbdCodec.WriteChunkHeader(s[pos..], flags, NbdProtocol.ReplyTypeOffsetHole, r.Handle, 12);
                    BinaryPrimitives.WriteUInt64BigEndian(s[(pos + 20)..], (ulong)start);
                    BinaryPrimitives.WriteUInt32BigEndian(s[(pos + 28)..], (uint)len);
                    pos += 32;
                }
                else
                {
                    NbdCodec.WriteChunkHeader(s[pos..], flags, NbdProtocol.ReplyTypeOffsetData, r.Handle, (uint)(8 + len));
                    BinaryPrimitives.WriteUInt64BigEndian(s[(pos + 20)..], (ulong)start);
                    _export.Read(start, s.Slice(pos + 28, len));
                    pos += 28 + len;
                }
            }
            return reply;
        }
        catch
        {
            reply.Dispose();
            throw;
        }
    }

    /// <summary>BLOCK_STATUS for base:allocation: HOLE = not stored, ZERO = reads as zeros (as qemu-nbd reports).</summary>
    private PooledReply BlockStatus(in NbdRequest r)
    {
        var max = (r.Flags & NbdProtocol.CmdFlagReqOne) != 0 ? 1 : NbdLimits.MaxExtentsPerReply;
        var descriptors = new List<(uint Length, uint Flags)>();
        foreach (var e in _export.Map((long)r.Offset, r.Length))
        {
            var flags = (e.Data ? 0 : NbdProtocol.StateHole) | (e.Zero ? NbdProtocol.StateZero : 0);
            var len = e.Length;
            if (descriptors.Count > 0 && descriptors[^1].Flags == flags && descriptors[^1].Length + len <= MaxDescriptorLength)
            {
                descriptors[^1] = ((uint)(descriptors[^1].Length + len), flags);
                continue;
            }
            if (descriptors.Count == max)
            {
                break;
            }
            descriptors.Add(((uint)Math.Min(len, MaxDescriptorLength), flags));
            if (len > MaxDescriptorLength)
            {
                // Cut short: the rest of the range stays undescribed (allowed), never skipped over.
                break;
            }
        }
        var payload = 4 + 8 * descriptors.Count;
        var reply = new PooledReply(NbdProtocol.StructuredReplyHeaderLength + payload);
        var s = reply.Span;
        NbdCodec.WriteChunkHeader(s, NbdProtocol.ReplyFlagDone, NbdProtocol.ReplyTypeBlockStatus, r.Handle, (uint)payload);
        BinaryPrimitives.WriteUInt32BigEndian(s[20..], NbdProtocol.BaseAllocationId);
        for (var i = 0; i < descriptors.Count; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(s[(24 + 8 * i)..], descriptors[i].Length);
            BinaryPrimitives.WriteUInt32BigEndian(s[(28 + 8 * i)..], descriptors[i].Flags);
        }
        return reply;
    }
}

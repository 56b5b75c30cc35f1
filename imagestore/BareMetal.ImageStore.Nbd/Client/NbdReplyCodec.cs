using System.Buffers.Binary;
using System.Text;
using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Client;

/// <summary>
/// The pure half of the client's reply reading: headers and chunk payloads from spans, every length and
/// offset checked against the request it answers before anything is copied. Malformed input throws
/// <see cref="NbdClientException"/> with <see cref="NbdClientError.Protocol"/> and the offending bytes.
/// </summary>
public static class NbdReplyCodec
{
    /// <summary>Largest structured chunk payload: a READ chunk of the largest block plus its offset.</summary>
    public const int MaxChunkPayload = NbdLimits.MaxPayload + 8;

    /// <summary>Bytes that follow the 4-byte magic in a header of that magic.</summary>
    public static int HeaderRemainder(ReadOnlySpan<byte> magic, bool structuredAgreed)
    {
        var m = BinaryPrimitives.ReadUInt32BigEndian(magic);
        return m switch
        {
            NbdProtocol.SimpleReplyMagic => NbdProtocol.SimpleReplyHeaderLength - 4,
            NbdProtocol.StructuredReplyMagic when structuredAgreed => NbdProtocol.StructuredReplyHeaderLength - 4,
            NbdProtocol.StructuredReplyMagic => throw Bad("structured reply chunk although structured replies were not agreed", magic),
            _ => throw Bad("reply magic is neither simple nor structured", magic),
        };
    }

    /// <summary>Parses a whole header (magic included: 16 bytes simple, 20 structured).</summary>
    public static NbdReplyHeader ParseHeader(ReadOnlySpan<byte> header)
    {
        var magic = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (magic == NbdProtocol.SimpleReplyMagic && header.Length == NbdProtocol.SimpleReplyHeaderLength)
        {
            return new NbdReplyHeader(false, BinaryPrimitives.ReadUInt32BigEndian(header[4..]), 0, 0, BinaryPrimitives.ReadUInt64BigEndian(header[8..]), 0);
        }

        if (magic == NbdProtocol.StructuredReplyMagic && header.Length == NbdProtocol.StructuredReplyHeaderLength)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(header[16..]);
            if (length > MaxChunkPayload)
            {
                throw Bad($"structured chunk claims {length} payload bytes (limit {MaxChunkPayload})", header);
            }

            return new NbdReplyHeader(true, 0, BinaryPrimitives.ReadUInt16BigEndian(header[4..]), BinaryPrimitives.ReadUInt16BigEndian(header[6..]), BinaryPrimitives.ReadUInt64BigEndian(header[8..]), length);
        }

        throw Bad("reply header has a bad magic or length", header);
    }

    /// <summary>Checks a chunk's type against the request and its payload length against the type's
    /// fixed part. Returns the bytes of the fixed part to read first (the rest is data or a message).</summary>
    public static int FixedPart(in NbdReplyHeader h, ushort requestType)
    {
        var done = (h.Flags & NbdProtocol.ReplyFlagDone) != 0;
        switch (h.Type)
        {
            case NbdProtocol.ReplyTypeNone:
                Require(done && h.Length == 0, h, "NBD_REPLY_TYPE_NONE must be the final chunk and empty");
                return 0;
            case NbdProtocol.ReplyTypeOffsetData:
                Require(requestType == NbdProtocol.CmdRead && h.Length > 8, h, "OFFSET_DATA is only for READ and needs an offset and data");
                return 8;
            case NbdProtocol.ReplyTypeOffsetHole:
                Require(requestType == NbdProtocol.CmdRead && h.Length == 12, h, "OFFSET_HOLE is only for READ and is 12 bytes");
                return 12;
            case NbdProtocol.ReplyTypeBlockStatus:
                Require(requestType == NbdProtocol.CmdBlockStatus && h.Length >= 12 && (h.Length - 4) % 8 == 0, h, "BLOCK_STATUS chunk is a context id and 8-byte extents, for BLOCK_STATUS only");
                return (int)h.Length;
            case NbdProtocol.ReplyTypeError:
                Require(h.Length >= 6, h, "error chunk shorter than its error and message length");
                return 6;
            case NbdProtocol.ReplyTypeErrorOffset:
                Require(h.Length >= 14, h, "error-offset chunk shorter than its error, message length and offset");
                return 6;
            default:
                // Unknown error types (bit 15) may still be understood as errors; unknown others may not.
                Require((h.Type & 0x8000) != 0 && h.Length >= 6, h, $"unknown structured reply type {h.Type}");
                return 6;
        }
    }

    /// <summary>Offset of an OFFSET_DATA chunk; checks that its <paramref name="dataLength"/> bytes lie
    /// inside the request. Returns the data's position in the caller's buffer.</summary>
    public static int DataPlacement(ReadOnlySpan<byte> fixedPart, long dataLength, long requestOffset, long requestLength)
    {
        var offset = BinaryPrimitives.ReadUInt64BigEndian(fixedPart);
        return Place(offset, dataLength, requestOffset, requestLength, fixedPart);
    }

    /// <summary>Position and length of an OFFSET_HOLE chunk inside the request.</summary>
    public static (int Position, int Length) HolePlacement(ReadOnlySpan<byte> fixedPart, long requestOffset, long requestLength)
    {
        var offset = BinaryPrimitives.ReadUInt64BigEndian(fixedPart);
        var length = BinaryPrimitives.ReadUInt32BigEndian(fixedPart[8..]);
        if (length == 0)
        {
            throw Bad("OFFSET_HOLE of length 0", fixedPart);
        }

        return (Place(offset, length, requestOffset, requestLength, fixedPart), (int)length);
    }

    /// <summary>Extents of a BLOCK_STATUS chunk for context <paramref name="contextId"/>, starting at <paramref name="offset"/>.</summary>
    public static void ParseBlockStatus(ReadOnlySpan<byte> payload, uint contextId, long offset, List<NbdExtent> extents)
    {
        ArgumentNullException.ThrowIfNull(extents);
        var id = BinaryPrimitives.ReadUInt32BigEndian(payload);
        if (id != contextId)
        {
            throw Bad($"BLOCK_STATUS for context {id}, but base:allocation is {contextId}", payload);
        }

        for (var p = 4; p + 8 <= payload.Length; p += 8)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(payload[p..]);
            var flags = BinaryPrimitives.ReadUInt32BigEndian(payload[(p + 4)..]);
            if (length == 0)
            {
                throw Bad("BLOCK_STATUS extent of length 0", payload[p..]);
            }

            extents.Add(new NbdExtent(offset, length, flags));
            offset = checked(offset + length);
        }
    }

    /// <summary>Error number and message of an error chunk (fixed part = 6 bytes; message follows).</summary>
    public static (uint Error, int MessageLength) ParseErrorFixed(ReadOnlySpan<byte> fixedPart, in NbdReplyHeader h)
    {
        var error = BinaryPrimitives.ReadUInt32BigEndian(fixedPart);
        var messageLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[4..]);
        var room = h.Length - 6 - (h.Type == NbdProtocol.ReplyTypeErrorOffset ? 8u : 0u);
        if (messageLength > room)
        {
            throw Bad($"error message of {messageLength} bytes in a chunk with room for {room}", fixedPart);
        }

        if (error == 0)
        {
            throw Bad("error chunk with error value 0", fixedPart);
        }

        return (error, messageLength);
    }

    /// <summary>Decodes a server's UTF-8 message (invalid bytes replaced), without control characters.</summary>
    public static string Message(ReadOnlySpan<byte> bytes)
    {
        var s = Encoding.UTF8.GetString(bytes);
        return string.Create(s.Length, s, (dst, src) =>
        {
            for (var i = 0; i < src.Length; i++)
            {
                dst[i] = char.IsControl(src[i]) ? '?' : src[i];
            }
        });
    }

    internal static NbdClientException Bad(string what, ReadOnlySpan<byte> bytes) =>
        new(NbdClientError.Protocol, $"NBD server sent an invalid reply: {what} (bytes {NbdProtocolException.Show(bytes)})");

    private static int Place(ulong offset, long length, long requestOffset, long requestLength, ReadOnlySpan<byte> bytes)
    {
        if (offset < (ulong)requestOffset || offset - (ulong)requestOffset > (ulong)requestLength || length > requestLength - (long)(offset - (ulong)requestOffset))
        {
            throw Bad($"chunk [{offset}, +{length}) lies outside the request [{requestOffset}, +{requestLength})", bytes);
        }

        return (int)(offset - (ulong)requestOffset);
    }

    private static void Require(bool ok, in NbdReplyHeader h, string what)
    {
        if (!ok)
        {
            throw new NbdClientException(NbdClientError.Protocol, $"NBD server sent an invalid reply: {what} (type {h.Type}, flags {h.Flags}, length {h.Length})");
        }
    }
}

using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace BareMetal.ImageStore.Nbd.Wire;

/// <summary>
/// Pure NBD framing: readers over what has arrived so far (false = need more bytes, nothing consumed),
/// writers into caller buffers. Malformed input throws <see cref="NbdProtocolException"/>.
/// </summary>
public static class NbdCodec
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>Writes the fixed-newstyle greeting: NBDMAGIC, IHAVEOPT, handshake flags.</summary>
    public static void WriteGreeting(Span<byte> dest, ushort handshakeFlags)
    {
        BinaryPrimitives.WriteUInt64BigEndian(dest, NbdProtocol.InitMagic);
        BinaryPrimitives.WriteUInt64BigEndian(dest[8..], NbdProtocol.OptionMagic);
        BinaryPrimitives.WriteUInt16BigEndian(dest[16..], handshakeFlags);
    }

    /// <summary>Reads the 32-bit client flags; unknown bits (or bits we did not offer) end the connection.</summary>
    public static bool TryReadClientFlags(ref ReadOnlySequence<byte> buffer, ushort offered, out uint flags)
    {
        flags = 0;
        if (buffer.Length < 4)
        {
            return false;
        }
        Span<byte> b = stackalloc byte[4];
        buffer.Slice(0, 4).CopyTo(b);
        var f = BinaryPrimitives.ReadUInt32BigEndian(b);
        var allowed = NbdProtocol.ClientFlagFixedNewstyle | ((offered & NbdProtocol.FlagNoZeroes) != 0 ? NbdProtocol.ClientFlagNoZeroes : 0u);
        if ((f & ~allowed) != 0)
        {
            throw new NbdProtocolException(NbdProtocolError.UnknownClientFlags, $"client flags 0x{f:x8} carry bits we did not offer (0x{allowed:x})");
        }
        flags = f;
        buffer = buffer.Slice(4);
        return true;
    }

    /// <summary>
    /// Reads one option: header and data. The length is checked as soon as the header is in, so a
    /// lying length is refused before we wait for (or buffer) its data.
    /// </summary>
    public static bool TryReadOption(ref ReadOnlySequence<byte> buffer, out NbdOptionHeader header, out ReadOnlySequence<byte> data)
    {
        header = default;
        data = default;
        if (buffer.Length < NbdProtocol.OptionHeaderLength)
        {
            // Check the magic as soon as its 8 bytes are in: garbage is refused without waiting.
            if (buffer.Length >= 8)
            {
                CheckOptionMagic(buffer);
            }
            return false;
        }
        Span<byte> h = stackalloc byte[NbdProtocol.OptionHeaderLength];
        buffer.Slice(0, NbdProtocol.OptionHeaderLength).CopyTo(h);
        CheckOptionMagic(buffer);
        var option = BinaryPrimitives.ReadUInt32BigEndian(h[8..]);
        var length = BinaryPrimitives.ReadUInt32BigEndian(h[12..]);
        if (length > NbdLimits.MaxOptionData)
        {
            throw new NbdProtocolException(NbdProtocolError.OptionTooLong, $"option {option} claims {length} data bytes (limit {NbdLimits.MaxOptionData})");
        }
        if (buffer.Length < NbdProtocol.OptionHeaderLength + length)
        {
            return false;
        }
        header = new NbdOptionHeader(option, length);
        data = buffer.Slice(NbdProtocol.OptionHeaderLength, length);
        buffer = buffer.Slice(NbdProtocol.OptionHeaderLength + length);
        return true;
    }

    private static void CheckOptionMagic(ReadOnlySequence<byte> buffer)
    {
        Span<byte> m = stackalloc byte[8];
        buffer.Slice(0, 8).CopyTo(m);
        if (BinaryPrimitives.ReadUInt64BigEndian(m) != NbdProtocol.OptionMagic)
        {
            throw new NbdProtocolException(NbdProtocolError.BadMagic, $"expected IHAVEOPT, got {NbdProtocolException.Show(m)}");
        }
    }

    /// <summary>Reads a request header (not a WRITE's payload). A WRITE longer than we can buffer ends the connection.</summary>
    public static bool TryReadRequest(ref ReadOnlySequence<byte> buffer, out NbdRequest request)
    {
        request = default;
        if (buffer.Length < NbdProtocol.RequestHeaderLength)
        {
            if (buffer.Length >= 4)
            {
                Span<byte> m = stackalloc byte[4];
                buffer.Slice(0, 4).CopyTo(m);
                CheckRequestMagic(m);
            }
            return false;
        }
        Span<byte> h = stackalloc byte[NbdProtocol.RequestHeaderLength];
        buffer.Slice(0, NbdProtocol.RequestHeaderLength).CopyTo(h);
        request = ParseRequest(h);
        buffer = buffer.Slice(NbdProtocol.RequestHeaderLength);
        return true;
    }

    /// <summary>Parses a complete 28-byte request header.</summary>
    public static NbdRequest ParseRequest(ReadOnlySpan<byte> h)
    {
        CheckRequestMagic(h);
        var request = new NbdRequest(
            BinaryPrimitives.ReadUInt16BigEndian(h[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(h[6..]),
            BinaryPrimitives.ReadUInt64BigEndian(h[8..]),
            BinaryPrimitives.ReadUInt64BigEndian(h[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(h[24..]));
        if (request.Type == NbdProtocol.CmdWrite && request.Length > NbdLimits.MaxPayload)
        {
            // The payload follows the header; we cannot answer EINVAL without reading or skipping it all.
            throw new NbdProtocolException(NbdProtocolError.PayloadTooLong, $"WRITE of {request.Length} bytes exceeds the {NbdLimits.MaxPayload}-byte limit");
        }
        return request;
    }

    private static void CheckRequestMagic(ReadOnlySpan<byte> h)
    {
        var magic = BinaryPrimitives.ReadUInt32BigEndian(h);
        if (magic != NbdProtocol.RequestMagic)
        {
            throw new NbdProtocolException(NbdProtocolError.BadMagic, $"expected request magic 25609513, got {NbdProtocolException.Show(h[..4])}");
        }
    }

    /// <summary>Encodes a request header (for tests and load clients).</summary>
    public static void WriteRequest(Span<byte> dest, in NbdRequest r)
    {
        BinaryPrimitives.WriteUInt32BigEndian(dest, NbdProtocol.RequestMagic);
        BinaryPrimitives.WriteUInt16BigEndian(dest[4..], r.Flags);
        BinaryPrimitives.WriteUInt16BigEndian(dest[6..], r.Type);
        BinaryPrimitives.WriteUInt64BigEndian(dest[8..], r.Handle);
        BinaryPrimitives.WriteUInt64BigEndian(dest[16..], r.Offset);
        BinaryPrimitives.WriteUInt32BigEndian(dest[24..], r.Length);
    }

    /// <summary>Encodes an option header (for tests and load clients).</summary>
    public static void WriteOptionHeader(Span<byte> dest, uint option, uint length)
    {
        BinaryPrimitives.WriteUInt64BigEndian(dest, NbdProtocol.OptionMagic);
        BinaryPrimitives.WriteUInt32BigEndian(dest[8..], option);
        BinaryPrimitives.WriteUInt32BigEndian(dest[12..], length);
    }

    /// <summary>Appends an option reply (header + data) to <paramref name="output"/>.</summary>
    public static void WriteOptionReply(IBufferWriter<byte> output, uint option, uint type, ReadOnlySpan<byte> data)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(20 + data.Length);
        BinaryPrimitives.WriteUInt64BigEndian(span, NbdProtocol.OptionReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], option);
        BinaryPrimitives.WriteUInt32BigEndian(span[12..], type);
        BinaryPrimitives.WriteUInt32BigEndian(span[16..], (uint)data.Length);
        data.CopyTo(span[20..]);
        output.Advance(20 + data.Length);
    }

    /// <summary>Writes a simple reply header: magic, error, handle.</summary>
    public static void WriteSimpleReply(Span<byte> dest, uint error, ulong handle)
    {
        BinaryPrimitives.WriteUInt32BigEndian(dest, NbdProtocol.SimpleReplyMagic);
        BinaryPrimitives.WriteUInt32BigEndian(dest[4..], error);
        BinaryPrimitives.WriteUInt64BigEndian(dest[8..], handle);
    }

    /// <summary>Writes a structured reply chunk header: magic, flags, type, handle, payload length.</summary>
    public static void WriteChunkHeader(Span<byte> dest, ushort flags, ushort type, ulong handle, uint length)
    {
        BinaryPrimitives.WriteUInt32BigEndian(dest, NbdProtocol.StructuredReplyMagic);
        BinaryPrimitives.WriteUInt16BigEndian(dest[4..], flags);
        BinaryPrimitives.WriteUInt16BigEndian(dest[6..], type);
        BinaryPrimitives.WriteUInt64BigEndian(dest[8..], handle);
        BinaryPrimitives.WriteUInt32BigEndian(dest[16..], length);
    }

    /// <summary>
    /// Reads a length-prefixed (32-bit) string from an option payload. Returns false when the payload is
    /// too short, the string longer than <see cref="NbdLimits.MaxString"/>, not UTF-8, or holds a NUL.
    /// </summary>
    public static bool TryReadString(ref ReadOnlySpan<byte> data, out string value)
    {
        value = "";
        if (data.Length < 4)
        {
            return false;
        }
        var len = BinaryPrimitives.ReadUInt32BigEndian(data);
        if (len > NbdLimits.MaxString || len > data.Length - 4)
        {
            return false;
        }
        var bytes = data.Slice(4, (int)len);
        if (!TryDecode(bytes, out value))
        {
            return false;
        }
        data = data[(4 + (int)len)..];
        return true;
    }

    /// <summary>Decodes a protocol string: strict UTF-8, no NUL, at most <see cref="NbdLimits.MaxString"/> bytes.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out string value)
    {
        value = "";
        if (bytes.Length > NbdLimits.MaxString || bytes.Contains((byte)0))
        {
            return false;
        }
        try
        {
            value = StrictUtf8.GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    /// <summary>
    /// Parses OPT_INFO / OPT_GO data: 32-bit name length, name, 16-bit count, count 16-bit info types.
    /// </summary>
    public static bool TryParseInfoRequest(ReadOnlySpan<byte> data, out string name, out ushort[] infos)
    {
        infos = [];
        if (!TryReadString(ref data, out name) || data.Length < 2)
        {
            return false;
        }
        var count = BinaryPrimitives.ReadUInt16BigEndian(data);
        data = data[2..];
        if (data.Length != count * 2)
        {
            return false;
        }
        infos = new ushort[count];
        for (var i = 0; i < count; i++)
        {
            infos[i] = BinaryPrimitives.ReadUInt16BigEndian(data[(i * 2)..]);
        }
        return true;
    }

    /// <summary>
    /// Parses OPT_LIST_META_CONTEXT / OPT_SET_META_CONTEXT data: export name, 32-bit query count, queries.
    /// </summary>
    public static bool TryParseMetaContextRequest(ReadOnlySpan<byte> data, out string name, out string[] queries)
    {
        queries = [];
        if (!TryReadString(ref data, out name) || data.Length < 4)
        {
            return false;
        }
        var count = BinaryPrimitives.ReadUInt32BigEndian(data);
        data = data[4..];
        if (count > NbdLimits.MaxQueries)
        {
            return false;
        }
        var list = new string[count];
        for (var i = 0; i < count; i++)
        {
            if (!TryReadString(ref data, out list[i]))
            {
                return false;
            }
        }
        if (!data.IsEmpty)
        {
            return false;
        }
        queries = list;
        return true;
    }
}

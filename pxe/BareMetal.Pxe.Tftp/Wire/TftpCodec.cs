using System.Buffers.Binary;
using System.Text;

namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>
/// Reads and writes TFTP packets over spans. A UDP datagram is one whole packet, so there is no
/// "need more bytes": anything short or inconsistent throws <see cref="TftpProtocolException"/>.
/// </summary>
public static class TftpCodec
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The opcode of <paramref name="packet"/>, checked to be one of the six RFC 1350/2347 opcodes.</summary>
    public static TftpOpcode ReadOpcode(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 2)
        {
            throw TftpProtocolException.Create(TftpProtocolError.Truncated, "no opcode", packet);
        }
        if (packet.Length > TftpLimits.MaxPacketSize)
        {
            throw new TftpProtocolException(TftpProtocolError.PacketTooLarge, $"PacketTooLarge: {packet.Length} bytes (limit {TftpLimits.MaxPacketSize})");
        }
        var op = BinaryPrimitives.ReadUInt16BigEndian(packet);
        if (op is < (ushort)TftpOpcode.ReadRequest or > (ushort)TftpOpcode.OptionAck)
        {
            throw TftpProtocolException.Create(TftpProtocolError.UnknownOpcode, $"opcode {op}", packet);
        }
        return (TftpOpcode)op;
    }

    public static TftpRequest ReadRequest(ReadOnlySpan<byte> packet)
    {
        var op = ReadOpcode(packet);
        if (op is not (TftpOpcode.ReadRequest or TftpOpcode.WriteRequest))
        {
            throw TftpProtocolException.Create(TftpProtocolError.UnexpectedOpcode, $"{op} where a request was expected", packet);
        }
        var rest = packet[2..];
        var name = TakeString(ref rest, TftpLimits.MaxFilenameLength, TftpProtocolError.FilenameTooLong, "filename", packet);
        if (name.Length == 0)
        {
            throw TftpProtocolException.Create(TftpProtocolError.EmptyFilename, "empty filename", packet);
        }
        var modeText = TakeString(ref rest, TftpLimits.MaxModeLength, TftpProtocolError.UnknownMode, "mode", packet);
        TftpMode mode;
        if (modeText.Equals("octet", StringComparison.OrdinalIgnoreCase))
        {
            mode = TftpMode.Octet;
        }
        else if (modeText.Equals("netascii", StringComparison.OrdinalIgnoreCase))
        {
            mode = TftpMode.Netascii;
        }
        else if (modeText.Equals("mail", StringComparison.OrdinalIgnoreCase))
        {
            mode = TftpMode.Mail;
        }
        else
        {
            throw TftpProtocolException.Create(TftpProtocolError.UnknownMode, $"mode \"{modeText}\"", packet);
        }
        return new TftpRequest(op, name, mode, ReadOptions(rest, packet));
    }

    public static TftpData ReadData(ReadOnlyMemory<byte> datagram)
    {
        var packet = datagram.Span;
        Expect(packet, TftpOpcode.Data);
        if (packet.Length - TftpLimits.HeaderSize > TftpLimits.MaxBlockSize)
        {
            throw TftpProtocolException.Create(TftpProtocolError.BlockTooLarge, $"{packet.Length - TftpLimits.HeaderSize}-byte block", packet);
        }
        return new TftpData(BinaryPrimitives.ReadUInt16BigEndian(packet[2..]), datagram[TftpLimits.HeaderSize..]);
    }

    /// <summary>Reads an ACK. Bytes after the block number are ignored: some old clients pad their ACKs.</summary>
    public static TftpAck ReadAck(ReadOnlySpan<byte> packet)
    {
        Expect(packet, TftpOpcode.Ack);
        return new TftpAck(BinaryPrimitives.ReadUInt16BigEndian(packet[2..]));
    }

    /// <summary>Reads an ERROR. A message without its final NUL is accepted: several PXE ROMs omit it.</summary>
    public static TftpError ReadError(ReadOnlySpan<byte> packet)
    {
        Expect(packet, TftpOpcode.Error);
        var code = (TftpErrorCode)BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        var text = packet[TftpLimits.HeaderSize..];
        var nul = text.IndexOf((byte)0);
        if (nul >= 0)
        {
            text = text[..nul];
        }
        if (text.Length > TftpLimits.MaxErrorMessageLength)
        {
            throw TftpProtocolException.Create(TftpProtocolError.MessageTooLong, $"{text.Length}-byte message", packet);
        }
        // Messages are for logs only: decode leniently so a ROM's odd bytes never lose the error code.
        return new TftpError(code, Encoding.Latin1.GetString(text));
    }

    public static TftpOptionAck ReadOptionAck(ReadOnlySpan<byte> packet)
    {
        Expect(packet, TftpOpcode.OptionAck, minLength: 2);
        return new TftpOptionAck(ReadOptions(packet[2..], packet));
    }

    /// <summary>Writes the 4-byte DATA header; the caller puts the block right after it.</summary>
    public static void WriteDataHeader(Span<byte> destination, ushort block)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Data);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], block);
    }

    public static int WriteData(Span<byte> destination, ushort block, ReadOnlySpan<byte> payload)
    {
        if (payload.Length > TftpLimits.MaxBlockSize)
        {
            throw new ArgumentOutOfRangeException(nameof(payload), payload.Length, "DATA payload beyond RFC 2348's limit");
        }
        WriteDataHeader(destination, block);
        payload.CopyTo(destination[TftpLimits.HeaderSize..]);
        return TftpLimits.HeaderSize + payload.Length;
    }

    public static int WriteAck(Span<byte> destination, ushort block)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Ack);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], block);
        return TftpLimits.HeaderSize;
    }

    /// <summary>Writes an ERROR; the message is cut to <see cref="TftpLimits.MaxErrorMessageLength"/> bytes and NULs in it dropped.</summary>
    public static int WriteError(Span<byte> destination, TftpErrorCode code, string message)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.Error);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)code);
        var n = TftpLimits.HeaderSize;
        foreach (var c in message)
        {
            if (n - TftpLimits.HeaderSize == TftpLimits.MaxErrorMessageLength)
            {
                break;
            }
            // ASCII only: a client prints this, and a NUL would end the message early.
            destination[n++] = c is > '\0' and < (char)0x7f ? (byte)c : (byte)'?';
        }
        destination[n++] = 0;
        return n;
    }

    public static int WriteOptionAck(Span<byte> destination, IReadOnlyList<TftpOption> options)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)TftpOpcode.OptionAck);
        var n = 2;
        foreach (var o in options)
        {
            n += WriteString(destination[n..], o.Name);
            n += WriteString(destination[n..], o.Value);
        }
        return n;
    }

    /// <summary>Writes a request as a client would (tests, fuzzing, benchmarks).</summary>
    public static int WriteRequest(Span<byte> destination, TftpRequest request)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)request.Opcode);
        var n = 2;
        n += WriteString(destination[n..], request.Filename);
        n += WriteString(destination[n..], request.Mode switch
        {
            TftpMode.Octet => "octet",
            TftpMode.Netascii => "netascii",
            _ => "mail",
        });
        foreach (var o in request.Options)
        {
            n += WriteString(destination[n..], o.Name);
            n += WriteString(destination[n..], o.Value);
        }
        return n;
    }

    /// <summary>The bytes of <see cref="WriteRequest"/> as an array.</summary>
    public static byte[] EncodeRequest(TftpRequest request)
    {
        var buffer = new byte[TftpLimits.MaxPacketSize];
        return buffer.AsSpan(0, WriteRequest(buffer, request)).ToArray();
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        var n = StrictUtf8.GetBytes(value, destination);
        destination[n] = 0;
        return n + 1;
    }

    private static void Expect(ReadOnlySpan<byte> packet, TftpOpcode expected, int minLength = TftpLimits.HeaderSize)
    {
        var op = ReadOpcode(packet);
        if (op != expected)
        {
            throw TftpProtocolException.Create(TftpProtocolError.UnexpectedOpcode, $"{op} where {expected} was expected", packet);
        }
        if (packet.Length < minLength)
        {
            throw TftpProtocolException.Create(TftpProtocolError.Truncated, $"{packet.Length} bytes, {expected} needs {minLength}", packet);
        }
    }

    private static List<TftpOption> ReadOptions(ReadOnlySpan<byte> rest, ReadOnlySpan<byte> packet)
    {
        var options = new List<TftpOption>();
        while (!rest.IsEmpty)
        {
            // Some ROMs pad their requests with NULs: trailing NULs end the option list.
            if (!rest.ContainsAnyExcept((byte)0))
            {
                break;
            }
            if (options.Count == TftpLimits.MaxOptions)
            {
                throw TftpProtocolException.Create(TftpProtocolError.TooManyOptions, $"more than {TftpLimits.MaxOptions} options", packet);
            }
            var name = TakeString(ref rest, TftpLimits.MaxOptionNameLength, TftpProtocolError.OptionNameTooLong, "option name", packet);
            if (name.Length == 0)
            {
                throw TftpProtocolException.Create(TftpProtocolError.EmptyOptionName, "empty option name", packet);
            }
            if (rest.IsEmpty)
            {
                throw TftpProtocolException.Create(TftpProtocolError.OptionValueMissing, $"option \"{name}\" without a value", packet);
            }
            var value = TakeString(ref rest, TftpLimits.MaxOptionValueLength, TftpProtocolError.OptionValueTooLong, $"value of \"{name}\"", packet);
            foreach (var o in options)
            {
                if (o.Is(name))
                {
                    throw TftpProtocolException.Create(TftpProtocolError.DuplicateOption, $"option \"{name}\" twice", packet);
                }
            }
            options.Add(new TftpOption(name, value));
        }
        return options;
    }

    /// <summary>Takes one NUL-terminated string off the front of <paramref name="rest"/>.</summary>
    private static string TakeString(ref ReadOnlySpan<byte> rest, int limit, TftpProtocolError tooLong, string what, ReadOnlySpan<byte> packet)
    {
        var nul = rest.IndexOf((byte)0);
        if (nul < 0)
        {
            if (rest.Length > limit)
            {
                throw TftpProtocolException.Create(tooLong, $"{what} longer than {limit} bytes", packet);
            }
            throw TftpProtocolException.Create(TftpProtocolError.MissingTerminator, $"{what} without its NUL", packet);
        }
        if (nul > limit)
        {
            throw TftpProtocolException.Create(tooLong, $"{what} of {nul} bytes (limit {limit})", packet);
        }
        string text;
        try
        {
            text = StrictUtf8.GetString(rest[..nul]);
        }
        catch (DecoderFallbackException)
        {
            throw TftpProtocolException.Create(TftpProtocolError.InvalidText, $"{what} is not UTF-8", packet);
        }
        rest = rest[(nul + 1)..];
        return text;
    }
}

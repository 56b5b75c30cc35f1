using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Session;

/// <summary>
/// The option-haggling phase as a pure state machine: one option in, its replies appended to a buffer,
/// and what to do next. Only a broken frame (or OPT_EXPORT_NAME of an unknown export, which cannot be
/// answered with an error) throws <see cref="NbdProtocolException"/>; everything else gets an error reply
/// and negotiation goes on, as fixed newstyle requires.
/// </summary>
public sealed class NbdHandshake
{
    /// <summary>Handshake flags we offer: fixed newstyle and NO_ZEROES.</summary>
    public const ushort OfferedFlags = NbdProtocol.FlagFixedNewstyle | NbdProtocol.FlagNoZeroes;

    private readonly IExportProvider _exports;
    private int _options;

    /// <summary>
    /// The export base:allocation was last selected for (null: none). The export, not the name the client
    /// typed: one export answers to several names (`baremetal export` serves "disk" and the default "").
    /// </summary>
    private NbdExport? _metaContextExport;

    public NbdHandshake(IExportProvider exports)
    {
        _exports = exports ?? throw new ArgumentNullException(nameof(exports));
    }

    public bool NoZeroes { get; private set; }

    public bool StructuredReplies { get; private set; }

    /// <summary>
    /// base:allocation was selected with the last OPT_SET_META_CONTEXT, for the export finally chosen. The
    /// spec has the client use one name for both options; comparing exports instead of names lets
    /// SET_META_CONTEXT "" then GO "" (libnbd and qemu with nbd://HOST:PORT) work, and SET_META_CONTEXT "disk"
    /// then GO "" too, while a selection made for another export never carries over. By the export's own
    /// name rather than the instance, so a reset that reopens the export between the two options keeps it.
    /// </summary>
    public bool BaseAllocation => _metaContextExport is { } selected && Export is { } chosen && selected.Name == chosen.Name;

    /// <summary>The client asked for NBD_INFO_BLOCK_SIZE, so it promised to honour our minimum.</summary>
    public bool BlockSizeAgreed { get; private set; }

    /// <summary>The export chosen by OPT_GO or OPT_EXPORT_NAME.</summary>
    public NbdExport? Export { get; private set; }

    public void SetClientFlags(uint flags) => NoZeroes = (flags & NbdProtocol.ClientFlagNoZeroes) != 0;

    public HandshakeOutcome Handle(uint option, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (++_options > NbdLimits.MaxOptions)
        {
            throw new NbdProtocolException(NbdProtocolError.TooManyOptions, $"more than {NbdLimits.MaxOptions} options without choosing an export");
        }
        switch (option)
        {
            case NbdProtocol.OptExportName:
                return ExportName(data, output);
            case NbdProtocol.OptAbort:
                NbdCodec.WriteOptionReply(output, option, NbdProtocol.RepAck, []);
                return HandshakeOutcome.Abort;
            case NbdProtocol.OptList:
                return List(data, output);
            case NbdProtocol.OptInfo:
            case NbdProtocol.OptGo:
                return InfoOrGo(option, data, output);
            case NbdProtocol.OptStructuredReply:
                if (!data.IsEmpty)
                {
                    return Error(output, option, NbdProtocol.RepErrInvalid, "OPT_STRUCTURED_REPLY takes no data");
                }
                StructuredReplies = true;
                NbdCodec.WriteOptionReply(output, option, NbdProtocol.RepAck, []);
                return HandshakeOutcome.Continue;
            case NbdProtocol.OptListMetaContext:
            case NbdProtocol.OptSetMetaContext:
                return MetaContext(option, data, output);
            default:
                // STARTTLS included: we run NOTLS, and an unknown option must not end negotiation.
                return Error(output, option, NbdProtocol.RepErrUnsup, $"option {option} is not supported");
        }
    }

    private HandshakeOutcome ExportName(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (!NbdCodec.TryDecode(data, out var name) || _exports.Find(name) is not { } export)
        {
            // OPT_EXPORT_NAME has no error reply: the spec says close the connection.
            throw new NbdProtocolException(NbdProtocolError.UnknownExport, $"OPT_EXPORT_NAME asked for an unknown export ({NbdProtocolException.Show(data)})");
        }
        Export = export;
        var len = 10 + (NoZeroes ? 0 : NbdProtocol.ExportNameZeroPad);
        var span = output.GetSpan(len)[..len];
        span.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(span, (ulong)export.Size);
        BinaryPrimitives.WriteUInt16BigEndian(span[8..], export.TransmissionFlags(StructuredReplies));
        output.Advance(len);
        return HandshakeOutcome.Transmit;
    }

    private HandshakeOutcome List(ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (!data.IsEmpty)
        {
            return Error(output, NbdProtocol.OptList, NbdProtocol.RepErrInvalid, "OPT_LIST takes no data");
        }
        foreach (var e in _exports.List())
        {
            var name = Encoding.UTF8.GetBytes(e.Name);
            var description = Encoding.UTF8.GetBytes(e.Description ?? "");
            var reply = new byte[4 + name.Length + description.Length];
            BinaryPrimitives.WriteUInt32BigEndian(reply, (uint)name.Length);
            name.CopyTo(reply, 4);
            description.CopyTo(reply, 4 + name.Length);
            NbdCodec.WriteOptionReply(output, NbdProtocol.OptList, NbdProtocol.RepServer, reply);
        }
        NbdCodec.WriteOptionReply(output, NbdProtocol.OptList, NbdProtocol.RepAck, []);
        return HandshakeOutcome.Continue;
    }

    private HandshakeOutcome InfoOrGo(uint option, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        if (!NbdCodec.TryParseInfoRequest(data, out var name, out var infos))
        {
            return Error(output, option, NbdProtocol.RepErrInvalid, "malformed OPT_INFO/OPT_GO data");
        }
        if (_exports.Find(name) is not { } export)
        {
            return Error(output, option, NbdProtocol.RepErrUnknown, $"no export named '{name}'");
        }
        Span<byte> info = stackalloc byte[18];
        BinaryPrimitives.WriteUInt16BigEndian(info, NbdProtocol.InfoExport);
        BinaryPrimitives.WriteUInt64BigEndian(info[2..], (ulong)export.Size);
        BinaryPrimitives.WriteUInt16BigEndian(info[10..], export.TransmissionFlags(StructuredReplies));
        NbdCodec.WriteOptionReply(output, option, NbdProtocol.RepInfo, info[..12]);
        var wantsBlockSize = false;
        foreach (var i in infos.Distinct())
        {
            switch (i)
            {
                case NbdProtocol.InfoName:
                    NbdCodec.WriteOptionReply(output, option, NbdProtocol.RepInfo, InfoString(NbdProtocol.InfoName, export.Name));
                    break;
                case NbdProtocol.InfoDescription when export.Description is not null:
                    NbdCodec.WriteOptionReply(output, option, NbdProtocol.RepInfo, InfoString(NbdProtocol.InfoDescription, export.Description));
                    break;
                case NbdProtocol.InfoBlockSize:
                    wantsBlockSize = true;
                    break;
                default:
                    // Unknown info types are ignored, as the spec asks.
                    break;
            }
        }
        // Block sizes go to every client (nbdkit does too); only clients that asked are held to them.
        BinaryPrimitives.WriteUInt16BigEndian(info, NbdProtocol.InfoBlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(info[2..], export.MinimumBlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(info[6..], NbdExport.PreferredBlockSize);
        BinaryPrimitives.WriteUInt32BigEndian(info[10..], NbdLimits.MaxPayload);
        NbdCodec.WriteOptionReply(output, option, NbdProtocol.RepInfo, info[..14]);
        NbdCodec.WriteOptionReply(output, option, NbdProtocol.RepAck, []);
        if (option == NbdProtocol.OptInfo)
        {
            return HandshakeOutcome.Continue;
        }
        Export = export;
        BlockSizeAgreed = wantsBlockSize;
        return HandshakeOutcome.Transmit;
    }

    private static byte[] InfoString(ushort type, string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var reply = new byte[2 + bytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(reply, type);
        bytes.CopyTo(reply, 2);
        return reply;
    }

    private HandshakeOutcome MetaContext(uint option, ReadOnlySpan<byte> data, IBufferWriter<byte> output)
    {
        var list = option == NbdProtocol.OptListMetaContext;
        if (!list)
        {
            // SET replaces the previous selection, whatever it was, "including when this command fails".
            _metaContextExport = null;
        }
        if (!StructuredReplies)
        {
            return Error(output, option, NbdProtocol.RepErrInvalid, "meta contexts need OPT_STRUCTURED_REPLY first");
        }
        if (!NbdCodec.TryParseMetaContextRequest(data, out var name, out var queries))
        {
            return Error(output, option, NbdProtocol.RepErrInvalid, "malformed meta context request");
        }
        if (_exports.Find(name) is not { } export)
        {
            return Error(output, option, NbdProtocol.RepErrUnknown, $"no export named '{name}'");
        }
        // LIST with no query lists everything; "base:" lists the namespace. SET selects exact names only.
        var match = (list && queries.Length == 0) ||
                    queries.Any(q => q == NbdProtocol.BaseAllocation || (list && q == "base:"));
        if (!list && match)
        {
            _metaContextExport = export;
        }
        if (match)
        {
            var ctx = Encoding.UTF8.GetBytes(NbdProtocol.BaseAllocation);
            var reply = new byte[4 + ctx.Length];
            BinaryPrimitives.WriteUInt32BigEndian(reply, list ? 0 : NbdProtocol.BaseAllocationId);
            ctx.CopyTo(reply, 4);
            NbdCodec.WriteOptionReply(output, option, NbdProtocol.RepMetaContext, reply);
        }
        NbdCodec.WriteOptionReply(output, option, NbdProtocol.RepAck, []);
        return HandshakeOutcome.Continue;
    }

    private static HandshakeOutcome Error(IBufferWriter<byte> output, uint option, uint type, string message)
    {
        NbdCodec.WriteOptionReply(output, option, type, Encoding.UTF8.GetBytes(message));
        return HandshakeOutcome.Continue;
    }
}

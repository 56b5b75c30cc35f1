namespace BareMetal.ImageStore.Nbd.Wire;

/// <summary>
/// Every number the NBD protocol puts on the wire (NetworkBlockDevice/nbd doc/proto.md), defined once.
/// All integers travel big-endian.
/// </summary>
public static class NbdProtocol
{
    /// <summary>"NBDMAGIC": first 8 bytes the server sends (INIT_PASSWD).</summary>
    public const ulong InitMagic = 0x4e42444d41474943;

    /// <summary>"IHAVEOPT": newstyle magic, sent by the server after NBDMAGIC and by the client before every option.</summary>
    public const ulong OptionMagic = 0x49484156454F5054;

    /// <summary>Magic that starts every fixed-newstyle option reply.</summary>
    public const ulong OptionReplyMagic = 0x3e889045565a9;

    /// <summary>Magic that starts every transmission request (NBD_REQUEST_MAGIC).</summary>
    public const uint RequestMagic = 0x25609513;

    /// <summary>Magic of a simple reply (NBD_SIMPLE_REPLY_MAGIC).</summary>
    public const uint SimpleReplyMagic = 0x67446698;

    /// <summary>Magic of a structured reply chunk (NBD_STRUCTURED_REPLY_MAGIC).</summary>
    public const uint StructuredReplyMagic = 0x668e33ef;

    // Handshake flags (16 bits, server -> client).
    /// <summary>NBD_FLAG_FIXED_NEWSTYLE: we speak fixed newstyle.</summary>
    public const ushort FlagFixedNewstyle = 1 << 0;
    /// <summary>NBD_FLAG_NO_ZEROES: we can skip the 124 zero bytes after OPT_EXPORT_NAME.</summary>
    public const ushort FlagNoZeroes = 1 << 1;

    // Client flags (32 bits, client -> server). Any other bit makes us drop the connection.
    public const uint ClientFlagFixedNewstyle = 1 << 0;
    public const uint ClientFlagNoZeroes = 1 << 1;
    public const uint ClientFlagsKnown = ClientFlagFixedNewstyle | ClientFlagNoZeroes;

    // Transmission flags (16 bits).
    /// <summary>NBD_FLAG_HAS_FLAGS: always set.</summary>
    public const ushort TxHasFlags = 1 << 0;
    public const ushort TxReadOnly = 1 << 1;
    public const ushort TxSendFlush = 1 << 2;
    public const ushort TxSendFua = 1 << 3;
    public const ushort TxRotational = 1 << 4;
    public const ushort TxSendTrim = 1 << 5;
    public const ushort TxSendWriteZeroes = 1 << 6;
    /// <summary>NBD_FLAG_SEND_DF: READ honours NBD_CMD_FLAG_DF (only with structured replies).</summary>
    public const ushort TxSendDf = 1 << 7;
    /// <summary>NBD_FLAG_CAN_MULTI_CONN: every connection to this export sees the same data and flushes.</summary>
    public const ushort TxCanMultiConn = 1 << 8;
    public const ushort TxSendCache = 1 << 10;
    public const ushort TxSendFastZero = 1 << 11;

    // Options.
    public const uint OptExportName = 1;
    public const uint OptAbort = 2;
    public const uint OptList = 3;
    public const uint OptStartTls = 5;
    public const uint OptInfo = 6;
    public const uint OptGo = 7;
    public const uint OptStructuredReply = 8;
    // Meta-context options are 9 and 10 as every implementation (nbdkit, qemu, libnbd) sends them; an
    // older proto.md revision numbered them 10 and 11, and libnbd's SET then looked like a LIST to us.
    public const uint OptListMetaContext = 9;
    public const uint OptSetMetaContext = 10;
    /// <summary>NBD_OPT_EXTENDED_HEADERS (64-bit requests): not offered; answered ERR_UNSUP.</summary>
    public const uint OptExtendedHeaders = 11;

    // Option reply types; errors have bit 31 set.
    public const uint RepAck = 1;
    public const uint RepServer = 2;
    public const uint RepInfo = 3;
    public const uint RepMetaContext = 4;
    public const uint RepErrUnsup = 0x80000001;
    public const uint RepErrPolicy = 0x80000002;
    public const uint RepErrInvalid = 0x80000003;
    public const uint RepErrUnknown = 0x80000006;
    public const uint RepErrShutdown = 0x80000007;
    public const uint RepErrTooBig = 0x80000009;

    // NBD_REP_INFO types (16 bits at the start of the reply data).
    public const ushort InfoExport = 0;
    public const ushort InfoName = 1;
    public const ushort InfoDescription = 2;
    public const ushort InfoBlockSize = 3;

    // Commands.
    public const ushort CmdRead = 0;
    public const ushort CmdWrite = 1;
    public const ushort CmdDisc = 2;
    public const ushort CmdFlush = 3;
    public const ushort CmdTrim = 4;
    public const ushort CmdCache = 5;
    public const ushort CmdWriteZeroes = 6;
    public const ushort CmdBlockStatus = 7;

    // Command flags.
    public const ushort CmdFlagFua = 1 << 0;
    public const ushort CmdFlagNoHole = 1 << 1;
    public const ushort CmdFlagDf = 1 << 2;
    public const ushort CmdFlagReqOne = 1 << 3;
    public const ushort CmdFlagFastZero = 1 << 4;

    // Structured reply flags and types.
    public const ushort ReplyFlagDone = 1 << 0;
    public const ushort ReplyTypeNone = 0;
    public const ushort ReplyTypeOffsetData = 1;
    public const ushort ReplyTypeOffsetHole = 2;
    public const ushort ReplyTypeBlockStatus = 5;
    public const ushort ReplyTypeError = 0x8001;
    public const ushort ReplyTypeErrorOffset = 0x8002;

    // Error values (errno-like, fixed by the protocol).
    public const uint EPERM = 1;
    public const uint EIO = 5;
    public const uint ENOMEM = 12;
    public const uint EINVAL = 22;
    public const uint ENOSPC = 28;
    public const uint EOVERFLOW = 75;
    public const uint ENOTSUP = 95;
    public const uint ESHUTDOWN = 108;

    // base:allocation status flags.
    public const uint StateHole = 1 << 0;
    public const uint StateZero = 1 << 1;

    /// <summary>The one metadata context we serve.</summary>
    public const string BaseAllocation = "base:allocation";

    /// <summary>Id we give base:allocation in NBD_REP_META_CONTEXT and BLOCK_STATUS chunks.</summary>
    public const uint BaseAllocationId = 1;

    /// <summary>Bytes of the server greeting: NBDMAGIC, IHAVEOPT, 16-bit handshake flags.</summary>
    public const int GreetingLength = 18;

    /// <summary>Bytes of an option header: IHAVEOPT, 32-bit option, 32-bit length.</summary>
    public const int OptionHeaderLength = 16;

    /// <summary>Bytes of a request header: magic, flags, type, handle, offset, length.</summary>
    public const int RequestHeaderLength = 28;

    /// <summary>Bytes of a simple reply header: magic, error, handle.</summary>
    public const int SimpleReplyHeaderLength = 16;

    /// <summary>Bytes of a structured reply chunk header: magic, flags, type, handle, length.</summary>
    public const int StructuredReplyHeaderLength = 20;

    /// <summary>Zero bytes after the OPT_EXPORT_NAME reply unless NO_ZEROES was agreed.</summary>
    public const int ExportNameZeroPad = 124;
}

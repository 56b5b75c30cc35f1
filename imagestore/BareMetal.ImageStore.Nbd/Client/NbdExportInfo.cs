using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Client;

/// <summary>What OPT_GO (with NBD_INFO_BLOCK_SIZE asked) and the earlier options agreed on.</summary>
public sealed record NbdExportInfo
{
    public required string Name { get; init; }

    public required long Size { get; init; }

    /// <summary>The 16 transmission flags of NBD_INFO_EXPORT.</summary>
    public required ushort TransmissionFlags { get; init; }

    /// <summary>Block size constraints (NBD_INFO_BLOCK_SIZE); 1 / 4096 / 32 MiB when the server sent none.</summary>
    public uint MinimumBlockSize { get; init; } = 1;

    public uint PreferredBlockSize { get; init; } = 4096;

    public uint MaximumBlockSize { get; init; } = NbdLimits.MaxPayload;

    /// <summary>OPT_STRUCTURED_REPLY was acknowledged.</summary>
    public bool StructuredReplies { get; init; }

    /// <summary>Context id of base:allocation, or null when the server did not agree to it.</summary>
    public uint? BaseAllocationId { get; init; }

    public bool ReadOnly => (TransmissionFlags & NbdProtocol.TxReadOnly) != 0;

    public bool CanFlush => (TransmissionFlags & NbdProtocol.TxSendFlush) != 0;
}

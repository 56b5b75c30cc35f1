namespace BareMetal.ImageStore.Formats;

/// <summary>Why an image was refused. One value per distinct user-facing problem.</summary>
public enum ImageError
{
    /// <summary>The file ends before a structure it must hold.</summary>
    Truncated,
    /// <summary>A magic number, version or field has a value the format does not allow.</summary>
    BadHeader,
    /// <summary>A stored checksum does not match the bytes it covers.</summary>
    BadChecksum,
    /// <summary>A table or data pointer points outside the file or is misaligned.</summary>
    PointerOutOfRange,
    /// <summary>A size, count or shift is outside what the format (or our limits) allow.</summary>
    SizeOutOfRange,
    /// <summary>The image uses a feature we deliberately do not implement (zstd, encryption, ...).</summary>
    Unsupported,
    /// <summary>A backing chain is cyclic, too deep, or names a file that cannot be opened.</summary>
    BadBackingChain,
    /// <summary>Compressed data could not be decoded.</summary>
    BadCompressedData,
    /// <summary>A write was attempted on an image opened read-only.</summary>
    ReadOnly,
}

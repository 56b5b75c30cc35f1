namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>File flags of an ISO 9660 directory record (ECMA-119 9.1.6).</summary>
[Flags]
public enum IsoFileFlags : byte
{
    None = 0,
    /// <summary>Bit 0: the file need not be shown to the user.</summary>
    Hidden = 1 << 0,
    /// <summary>Bit 1: the record describes a directory.</summary>
    Directory = 1 << 1,
    /// <summary>Bit 2: an associated file (resource fork).</summary>
    Associated = 1 << 2,
    /// <summary>Bit 3: record format is given in the extended attribute record.</summary>
    Record = 1 << 3,
    /// <summary>Bit 4: owner and group permissions are in the extended attribute record.</summary>
    Protection = 1 << 4,
    /// <summary>Bit 7: not the final record of a file (multi-extent files, each extent below 4 GiB).</summary>
    MultiExtent = 1 << 7,
}

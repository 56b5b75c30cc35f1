namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>
/// One extent of an opened VMDK: a range of guest bytes and where they live (a flat file range, a
/// sparse extent's grain directory, or nothing for ZERO / NOACCESS extents).
/// </summary>
internal sealed class VmdkExtent
{
    public VmdkExtent(VmdkExtentLine line, long start, FileSource? source, VmdkGrainDirectory? sparse)
    {
        Line = line;
        Start = start;
        Length = checked(line.Sectors * VmdkSparseHeader.SectorSize);
        Source = source;
        Sparse = sparse;
    }

    public VmdkExtentLine Line { get; }

    /// <summary>First guest byte of this extent.</summary>
    public long Start { get; }

    /// <summary>Guest bytes covered.</summary>
    public long Length { get; }

    public long End => Start + Length;

    /// <summary>The extent file (null for ZERO).</summary>
    public FileSource? Source { get; }

    /// <summary>The grain directory of a SPARSE extent, else null.</summary>
    public VmdkGrainDirectory? Sparse { get; }

    /// <summary>For FLAT/VMFS: the file byte holding the extent's first guest byte.</summary>
    public long FlatOffset => checked(Line.Offset * VmdkSparseHeader.SectorSize);

    /// <summary>The state of extent-relative bytes [rel, rel + maxLength).</summary>
    public BlockRun Lookup(long rel, long maxLength)
    {
        if (Line.Access == VmdkAccess.NoAccess || Line.Type == VmdkExtentType.Zero || Source is null)
        {
            return BlockRun.Zero(maxLength);
        }
        if (Sparse is not null)
        {
            return Sparse.Lookup(rel, maxLength);
        }
        var host = FlatOffset + rel;
        // Holes in a flat extent file read as zeros: report them so maps and converts skip them.
        var dataAt = Source.Seek(host, data: true);
        if (dataAt is null)
        {
            return BlockRun.Data(maxLength, host, Source);
        }
        if (dataAt.Value > host)
        {
            return BlockRun.HoleInFile(Math.Min(maxLength, dataAt.Value - host), host);
        }
        var holeAt = Source.Seek(host, data: false) ?? host + maxLength;
        return BlockRun.Data(Math.Clamp(holeAt - host, 1, maxLength), host, Source);
    }
}

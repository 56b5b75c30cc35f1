namespace BareMetal.ImageStore.Formats.FileSystems.Ext;

/// <summary>
/// ext2/3/4 feature bits (superblock s_feature_compat/incompat/ro_compat; kernel Documentation/
/// filesystems/ext4/super.rst). A reader must refuse any INCOMPAT bit it does not understand; RO_COMPAT
/// bits only forbid writing, and we never write.
/// </summary>
public static class ExtFeatures
{
    public const uint CompatHasJournal = 0x4;

    public const uint IncompatCompression = 0x1;
    public const uint IncompatFileType = 0x2;
    public const uint IncompatRecover = 0x4;
    public const uint IncompatJournalDev = 0x8;
    public const uint IncompatMetaBg = 0x10;
    public const uint IncompatExtents = 0x40;
    public const uint Incompat64Bit = 0x80;
    public const uint IncompatMmp = 0x100;
    public const uint IncompatFlexBg = 0x200;
    public const uint IncompatEaInode = 0x400;
    public const uint IncompatDirData = 0x1000;
    public const uint IncompatCsumSeed = 0x2000;
    public const uint IncompatLargeDir = 0x4000;
    public const uint IncompatInlineData = 0x8000;
    public const uint IncompatEncrypt = 0x10000;
    public const uint IncompatCasefold = 0x20000;

    public const uint RoCompatSparseSuper = 0x1;
    public const uint RoCompatLargeFile = 0x2;
    public const uint RoCompatBtreeDir = 0x4;

    /// <summary>
    /// What we read. RECOVER (a journal not yet replayed) is read as it stands, like debugfs does;
    /// ENCRYPT is refused per inode (only encrypted directories' contents are unreadable).
    /// </summary>
    public const uint IncompatSupported = IncompatFileType | IncompatRecover | IncompatMetaBg | IncompatExtents | Incompat64Bit |
        IncompatMmp | IncompatFlexBg | IncompatEaInode | IncompatCsumSeed | IncompatLargeDir | IncompatInlineData |
        IncompatEncrypt | IncompatCasefold;

    /// <summary>INCOMPAT bits ext3 knows: a file system with any other is ext4 (blkid's rule).</summary>
    public const uint IncompatExt3 = IncompatFileType | IncompatRecover | IncompatMetaBg;

    /// <summary>RO_COMPAT bits ext3 knows.</summary>
    public const uint RoCompatExt3 = RoCompatSparseSuper | RoCompatLargeFile | RoCompatBtreeDir;

    /// <summary>The names mke2fs and the kernel use, for refusals.</summary>
    public static string IncompatName(uint bit) => bit switch
    {
        IncompatCompression => "compression",
        IncompatJournalDev => "journal_dev (an external journal: it holds no files)",
        IncompatDirData => "dirdata",
        _ => $"unknown 0x{bit:x}",
    };
}

using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using BareMetal.ImageStore.Nbd.Counters;
using BareMetal.ImageStore.Nbd.Exports;

namespace BareMetal.ImageStore.Iscsi.Scsi;

/// <summary>
/// LUN 0 of a target: an SBC-3 direct-access block device of 512-byte blocks over one export. Pure
/// apart from the disk: <see cref="Plan"/> checks a CDB and either answers it or says which data must
/// move; the session moves it. Every malformed CDB gets CHECK CONDITION with the sense SPC-4 names.
/// </summary>
public sealed class ScsiLogicalUnit
{
    public const int BlockSize = 512;

    /// <summary>MAXIMUM TRANSFER LENGTH in blocks (VPD B0), the same bound the session buffers by.</summary>
    public const int MaxTransferBlocks = Wire.IscsiLimits.MaxTransferBytes / BlockSize;

    /// <summary>MAXIMUM UNMAP LBA COUNT (blocks): 512 MiB per descriptor (libiscsi's BlockLimits test holds targets to 2^20).</summary>
    public const uint MaxUnmapBlocks = 1024 * 1024;

    /// <summary>MAXIMUM WRITE SAME LENGTH (blocks): the maximum transfer, since initiators test it with WRITE of the same size.</summary>
    public const uint MaxWriteSameBlocks = MaxTransferBlocks;

    /// <summary>MAXIMUM UNMAP BLOCK DESCRIPTOR COUNT.</summary>
    public const int MaxUnmapDescriptors = 256;

    private readonly byte[] _naa;
    private readonly string _serial;

    public ScsiLogicalUnit(NbdExport export)
    {
        Export = export ?? throw new ArgumentNullException(nameof(export));
        Blocks = export.Size / BlockSize;
        // A stable, unique identity per export name: Windows and multipath key on the NAA id of VPD 83.
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(export.Name));
        _naa = new byte[16];
        hash.AsSpan(0, 16).CopyTo(_naa);
        _naa[0] = (byte)(0x60 | (_naa[0] & 0x0f)); // NAA 6: IEEE registered extended
        _serial = Convert.ToHexStringLower(hash.AsSpan(0, 8));
    }

    public NbdExport Export { get; }

    /// <summary>Whole 512-byte blocks (a tail shorter than a block is not visible over SCSI).</summary>
    public long Blocks { get; }

    public bool ReadOnly => Export.ReadOnly;

    public ReadOnlySpan<byte> NaaId => _naa;

    public string Serial => _serial;

    /// <summary>
    /// Whether a command may write or flush the disk (WRITE 6/10/12/16, WRITE SAME 10/16, UNMAP,
    /// SYNCHRONIZE CACHE 10/16): those wait while a commit holds the export's writes.
    /// </summary>
    public static bool Mutates(ReadOnlySpan<byte> cdb) =>
        !cdb.IsEmpty && cdb[0] is 0x0a or 0x2a or 0xaa or 0x8a or 0x41 or 0x93 or 0x42 or 0x35 or 0x91;

    /// <summary>
    /// Checks <paramref name="cdb"/> for <paramref name="lun"/> (the 8-byte LUN field; 0 = LUN 0).
    /// Writes done here (WRITE SAME with NDOB) count for the export and <paramref name="client"/>.
    /// </summary>
    public ScsiPlan Plan(ReadOnlySpan<byte> cdb, ulong lun, BlockCounters? client = null)
    {
        var op = cdb[0];
        if (lun != 0)
        {
            return op switch
            {
                0x12 => Inquiry(cdb, lunPresent: false),
                0xa0 => ReportLuns(cdb),
                0x03 => RequestSense(cdb, ScsiSense.LogicalUnitNotSupported),
                _ => ScsiPlan.Check(ScsiSense.LogicalUnitNotSupported),
            };
        }
        return op switch
        {
            0x00 => ScsiPlan.Good,                              // TEST UNIT READY
            0x03 => RequestSense(cdb, default),
            0x12 => Inquiry(cdb, lunPresent: true),
            0x1a => ModeSense(cdb, ten: false),
            0x5a => ModeSense(cdb, ten: true),
            0x25 => ReadCapacity10(cdb),
            0x9e when (cdb[1] & 0x1f) == 0x10 => ReadCapacity16(cdb),
            0x08 => Rw(cdb, write: false, lba: ((cdb[1] & 0x1fL) << 16) | ((long)cdb[2] << 8) | cdb[3], blocks: cdb[4] == 0 ? 256 : cdb[4], protect: 0),
            0x0a => Rw(cdb, write: true, lba: ((cdb[1] & 0x1fL) << 16) | ((long)cdb[2] << 8) | cdb[3], blocks: cdb[4] == 0 ? 256 : cdb[4], protect: 0),
            0x28 or 0x2a => Rw(cdb, op == 0x2a, BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]), BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]), cdb[1] >> 5),
            0xa8 or 0xaa => Rw(cdb, op == 0xaa, BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]), BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]), cdb[1] >> 5),
            0x88 or 0x8a => Rw16(cdb, op == 0x8a),
            0x2f => Verify(BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]), BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]), cdb[1]),
            0x8f => Verify16(cdb),
            0x35 => Sync(BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]), BinaryPrimitives.ReadUInt16BigEndian(cdb[7..])),
            0x91 => Sync16(cdb),
            0xa0 => ReportLuns(cdb),
            0x42 => UnmapPlan(cdb),
            0x41 => WriteSamePlan(cdb, BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]), BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]), ndob: false, client),
            0x93 => WriteSamePlan(cdb, (long)Math.Min(BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]), long.MaxValue), BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]), ndob: (cdb[1] & 0x01) != 0, client),
            0x1b => (cdb[4] & 0xf0) == 0 ? ScsiPlan.Good : ScsiPlan.Check(ScsiSense.InvalidFieldInCdb), // START STOP UNIT: nothing to spin
            0x1e => ScsiPlan.Good,                              // PREVENT ALLOW MEDIUM REMOVAL: not removable
            _ => ScsiPlan.Check(ScsiSense.InvalidOpcode),
        };
    }

    private ScsiPlan Rw16(ReadOnlySpan<byte> cdb, bool write)
    {
        var lba = BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]);
        return Rw(cdb, write, lba > long.MaxValue ? long.MaxValue : (long)lba, BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]), cdb[1] >> 5);
    }

    private ScsiPlan Rw(ReadOnlySpan<byte> cdb, bool write, long lba, long blocks, int protect)
    {
        _ = cdb;
        if (protect != 0)
        {
            // RDPROTECT/WRPROTECT need protection information, which we do not format.
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb);
        }
        if (OutOfRange(lba, blocks))
        {
            return ScsiPlan.Check(ScsiSense.LbaOutOfRange);
        }
        if (write && ReadOnly)
        {
            return ScsiPlan.Check(ScsiSense.WriteProtected);
        }
        if (blocks > MaxTransferBlocks)
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb);
        }
        if (blocks == 0)
        {
            return ScsiPlan.Good;
        }
        return new ScsiPlan(write ? ScsiPlanKind.WriteDisk : ScsiPlanKind.ReadDisk, Offset: lba * BlockSize, Length: checked((int)(blocks * BlockSize)));
    }

    /// <summary>SBC-3: an LBA past the last one, or a range running past it, is LBA OUT OF RANGE (also with 0 blocks).</summary>
    private bool OutOfRange(long lba, long blocks) => lba < 0 || lba > Blocks || blocks > Blocks - lba || (blocks == 0 && lba >= Blocks && lba != 0);

    private ScsiPlan Verify(long lba, long blocks, byte flags)
    {
        var bytchk = (flags >> 1) & 3;
        if ((flags >> 5) != 0 || bytchk >= 2)
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb); // VRPROTECT; BYTCHK 10b is reserved, 11b (one block for all) unsupported
        }
        if (OutOfRange(lba, blocks))
        {
            return ScsiPlan.Check(ScsiSense.LbaOutOfRange);
        }
        if (blocks > MaxTransferBlocks)
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb);
        }
        // BYTCHK 0: a medium check, which a file always passes. BYTCHK 1: compare with the data sent.
        return bytchk == 0 || blocks == 0 ? ScsiPlan.Good : new ScsiPlan(ScsiPlanKind.DataOutBuffered, Offset: lba * BlockSize, Length: (int)(blocks * BlockSize));
    }

    private ScsiPlan CompareVerify(long offset, ReadOnlySpan<byte> data)
    {
        var disk = new byte[data.Length];
        Export.Read(offset, disk);
        return data.SequenceEqual(disk) ? ScsiPlan.Good : ScsiPlan.Check(ScsiSense.Miscompare);
    }

    private ScsiPlan Verify16(ReadOnlySpan<byte> cdb)
    {
        var lba = BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]);
        return Verify(lba > long.MaxValue ? long.MaxValue : (long)lba, BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]), cdb[1]);
    }

    private ScsiPlan Sync(long lba, long blocks)
    {
        if (OutOfRange(lba, blocks))
        {
            return ScsiPlan.Check(ScsiSense.LbaOutOfRange);
        }
        if (!ReadOnly)
        {
            Export.Disk.Flush();
        }
        return ScsiPlan.Good;
    }

    private ScsiPlan Sync16(ReadOnlySpan<byte> cdb)
    {
        var lba = BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]);
        return Sync(lba > long.MaxValue ? long.MaxValue : (long)lba, BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]));
    }

    private static ScsiPlan RequestSense(ReadOnlySpan<byte> cdb, ScsiSense pending)
    {
        int alloc = cdb[4];
        if ((cdb[1] & 0x01) != 0)
        {
            // DESC: descriptor format, 8 bytes with no descriptors.
            var d = new byte[8];
            d[0] = 0x72;
            d[1] = pending.Key;
            d[2] = pending.Asc;
            d[3] = pending.Ascq;
            return ScsiPlan.In(d, alloc);
        }
        return ScsiPlan.In(pending.ToFixedFormat(), alloc);
    }

    private ScsiPlan Inquiry(ReadOnlySpan<byte> cdb, bool lunPresent)
    {
        var evpd = (cdb[1] & 0x01) != 0;
        var page = cdb[2];
        int alloc = BinaryPrimitives.ReadUInt16BigEndian(cdb[3..]);
        if ((cdb[1] & 0x02) != 0 || (!evpd && page != 0))
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb);
        }
        if (!lunPresent)
        {
            if (evpd)
            {
                return ScsiPlan.Check(ScsiSense.LogicalUnitNotSupported);
            }
            var none = StandardInquiry();
            none[0] = 0x7f; // qualifier 011b: no logical unit here; type 1fh
            return ScsiPlan.In(none, alloc);
        }
        if (!evpd)
        {
            return ScsiPlan.In(StandardInquiry(), alloc);
        }
        byte[]? data = page switch
        {
            0x00 => Vpd(0x00, [0x00, 0x80, 0x83, 0xb0, 0xb1, 0xb2]),
            0x80 => Vpd(0x80, Encoding.ASCII.GetBytes(_serial)),
            0x83 => Vpd(0x83, DeviceIdentification()),
            0xb0 => Vpd(0xb0, BlockLimits()),
            0xb1 => Vpd(0xb1, BlockDeviceCharacteristics()),
            0xb2 => Vpd(0xb2, LogicalBlockProvisioning()),
            _ => null,
        };
        return data is null ? ScsiPlan.Check(ScsiSense.InvalidFieldInCdb) : ScsiPlan.In(data, alloc);
    }

    private static byte[] StandardInquiry()
    {
        var b = new byte[96];
        b[0] = 0x00;              // peripheral qualifier 0, direct-access block device
        b[2] = 0x06;              // VERSION: SPC-4
        b[3] = 0x12;              // HISUP, response data format 2
        b[4] = (byte)(b.Length - 5);
        b[7] = 0x02;              // CMDQUE: tagged queuing
        Encoding.ASCII.GetBytes("BAREMETL").CopyTo(b, 8);
        Encoding.ASCII.GetBytes("VIRTUAL-DISK    ").CopyTo(b, 16);
        Encoding.ASCII.GetBytes("0001").CopyTo(b, 32);
        // Version descriptors: SAM-5, iSCSI, SPC-4, SBC-3.
        ReadOnlySpan<ushort> versions = [0x00a0, 0x0960, 0x0460, 0x04c0];
        for (var i = 0; i < versions.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(58 + (2 * i)), versions[i]);
        }
        return b;
    }

    private static byte[] Vpd(byte page, ReadOnlySpan<byte> body)
    {
        var b = new byte[4 + body.Length];
        b[1] = page;
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), (ushort)body.Length);
        body.CopyTo(b.AsSpan(4));
        return b;
    }

    private byte[] DeviceIdentification()
    {
        var t10 = Encoding.ASCII.GetBytes("BAREMETL" + _serial);
        var b = new byte[4 + _naa.Length + 4 + t10.Length];
        b[0] = 0x01;              // code set binary
        b[1] = 0x03;              // association: logical unit; designator type 3 (NAA)
        b[3] = (byte)_naa.Length;
        _naa.CopyTo(b, 4);
        var o = 4 + _naa.Length;
        b[o] = 0x02;              // code set ASCII
        b[o + 1] = 0x01;          // designator type 1 (T10 vendor id)
        b[o + 3] = (byte)t10.Length;
        t10.CopyTo(b, o + 4);
        return b;
    }

    private static byte[] BlockLimits()
    {
        var b = new byte[0x3c];
        b[0] = 0x01;                                                          // WSNZ: WRITE SAME of 0 blocks is refused
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(2), 8);               // optimal granularity: 4 KiB
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), MaxTransferBlocks);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), 2048);             // optimal transfer: 1 MiB
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), MaxUnmapBlocks);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(20), MaxUnmapDescriptors);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(24), 128);             // unmap granularity: 64 KiB clusters
        BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(32), MaxWriteSameBlocks); // maximum WRITE SAME length
        return b;
    }

    private static byte[] BlockDeviceCharacteristics()
    {
        var b = new byte[0x3c];
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(0), 1);                // medium rotation rate 1: non-rotating
        return b;
    }

    private static byte[] LogicalBlockProvisioning()
    {
        var b = new byte[4];
        // LBPU, LBPWS, LBPWS10, LBPRZ: UNMAP and WRITE SAME unmap, and unmapped blocks read as zeros
        // (we implement both through WriteZeroes).
        b[1] = 0x80 | 0x40 | 0x20 | 0x04;
        b[2] = 0x02;                                                          // thin provisioned
        return b;
    }

    private ScsiPlan ReadCapacity10(ReadOnlySpan<byte> cdb)
    {
        _ = cdb;
        var b = new byte[8];
        var last = Blocks - 1;
        BinaryPrimitives.WriteUInt32BigEndian(b, last > uint.MaxValue || last < 0 ? (last < 0 ? 0u : uint.MaxValue) : (uint)last);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(4), BlockSize);
        return new ScsiPlan(ScsiPlanKind.DataIn, Data: b);
    }

    private ScsiPlan ReadCapacity16(ReadOnlySpan<byte> cdb)
    {
        var alloc = BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]);
        var b = new byte[32];
        BinaryPrimitives.WriteUInt64BigEndian(b, (ulong)Math.Max(0, Blocks - 1));
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(8), BlockSize);
        b[14] = 0x80 | 0x40;      // LBPME, LBPRZ
        return ScsiPlan.In(b, (int)Math.Min(alloc, int.MaxValue));
    }

    private ScsiPlan ModeSense(ReadOnlySpan<byte> cdb, bool ten)
    {
        var dbd = (cdb[1] & 0x08) != 0;
        var pc = cdb[2] >> 6;
        var page = cdb[2] & 0x3f;
        var subpage = cdb[3];
        int alloc = ten ? BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]) : cdb[4];
        if (pc == 3)
        {
            return ScsiPlan.Check(ScsiSense.SavingParametersNotSupported);
        }
        if (subpage != 0 && !(page == 0x3f && subpage == 0xff))
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb);
        }
        var changeable = pc == 1;
        var pages = new List<byte>();
        if (page is 0x08 or 0x3f)
        {
            // Caching page: WCE set, writes land in the page cache until SYNCHRONIZE CACHE (or FUA).
            var p = new byte[20];
            p[0] = 0x08;
            p[1] = 0x12;
            p[2] = changeable ? (byte)0 : (byte)0x04;
            pages.AddRange(p);
        }
        if (page is 0x0a or 0x3f)
        {
            // Control page: all defaults (restricted reordering, fixed-format sense).
            var p = new byte[12];
            p[0] = 0x0a;
            p[1] = 0x0a;
            if (!changeable)
            {
                BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(8), 0xffff); // busy timeout: unlimited
            }
            pages.AddRange(p);
        }
        if (pages.Count == 0)
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb);
        }
        var descriptor = dbd ? [] : BlockDescriptor();
        var header = ten ? 8 : 4;
        var b = new byte[header + descriptor.Length + pages.Count];
        var deviceSpecific = (byte)((ReadOnly ? 0x80 : 0) | 0x10); // WP; DPOFUA
        if (ten)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)(b.Length - 2));
            b[3] = deviceSpecific;
            BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6), (ushort)descriptor.Length);
        }
        else
        {
            b[0] = (byte)(b.Length - 1);
            b[2] = deviceSpecific;
            b[3] = (byte)descriptor.Length;
        }
        descriptor.CopyTo(b, header);
        pages.CopyTo(b, header + descriptor.Length);
        return ScsiPlan.In(b, alloc);
    }

    private byte[] BlockDescriptor()
    {
        var d = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(d, Blocks > uint.MaxValue ? uint.MaxValue : (uint)Blocks);
        d[5] = BlockSize >> 16;
        d[6] = (BlockSize >> 8) & 0xff;
        d[7] = BlockSize & 0xff;
        return d;
    }

    private static ScsiPlan ReportLuns(ReadOnlySpan<byte> cdb)
    {
        var select = cdb[2];
        var alloc = BinaryPrimitives.ReadUInt32BigEndian(cdb[6..]);
        if (select > 2 || alloc < 16)
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb);
        }
        var b = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(b, 8); // one LUN: 0
        return ScsiPlan.In(b, (int)Math.Min(alloc, int.MaxValue));
    }

    private ScsiPlan UnmapPlan(ReadOnlySpan<byte> cdb)
    {
        if ((cdb[1] & 0x01) != 0)
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb); // ANCHOR: not supported (ANC_SUP = 0)
        }
        if (ReadOnly)
        {
            return ScsiPlan.Check(ScsiSense.WriteProtected);
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]);
        return length == 0 ? ScsiPlan.Good : new ScsiPlan(ScsiPlanKind.DataOutBuffered, Length: length);
    }

    private ScsiPlan WriteSamePlan(ReadOnlySpan<byte> cdb, long lba, long blocks, bool ndob, BlockCounters? client)
    {
        if ((cdb[1] >> 5) != 0 || (cdb[1] & 0x10) != 0)
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb); // WRPROTECT, ANCHOR
        }
        if (blocks == 0 || blocks > MaxWriteSameBlocks)
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInCdb); // WSNZ is set in VPD B0
        }
        if (OutOfRange(lba, blocks))
        {
            return ScsiPlan.Check(ScsiSense.LbaOutOfRange);
        }
        if (ReadOnly)
        {
            return ScsiPlan.Check(ScsiSense.WriteProtected);
        }
        if (ndob)
        {
            Export.Disk.WriteZeroes(lba * BlockSize, blocks * BlockSize);
            Export.Counters.Written(client, lba * BlockSize, blocks * BlockSize);
            return ScsiPlan.Good;
        }
        return new ScsiPlan(ScsiPlanKind.DataOutBuffered, Length: BlockSize);
    }

    /// <summary>
    /// Finishes a <see cref="ScsiPlanKind.DataOutBuffered"/> command with its parameter data; what UNMAP
    /// and WRITE SAME write counts for the export and <paramref name="client"/>.
    /// </summary>
    public ScsiPlan Complete(ReadOnlySpan<byte> cdb, ReadOnlySpan<byte> data, BlockCounters? client = null) => cdb[0] switch
    {
        0x2f => CompareVerify(BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]) * (long)BlockSize, data),
        0x8f => CompareVerify((long)BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]) * BlockSize, data),
        0x42 => Unmap(data, client),
        0x41 => WriteSame(BinaryPrimitives.ReadUInt32BigEndian(cdb[2..]), BinaryPrimitives.ReadUInt16BigEndian(cdb[7..]), data, client),
        0x93 => WriteSame((long)BinaryPrimitives.ReadUInt64BigEndian(cdb[2..]), BinaryPrimitives.ReadUInt32BigEndian(cdb[10..]), data, client),
        _ => ScsiPlan.Check(ScsiSense.InvalidOpcode),
    };

    private ScsiPlan Unmap(ReadOnlySpan<byte> data, BlockCounters? client)
    {
        if (data.Length < 8)
        {
            return ScsiPlan.Check(ScsiSense.ParameterListLengthError);
        }
        int descLength = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (descLength > data.Length - 8)
        {
            return ScsiPlan.Check(ScsiSense.ParameterListLengthError);
        }
        var count = descLength / 16;
        if (count > MaxUnmapDescriptors)
        {
            return ScsiPlan.Check(ScsiSense.InvalidFieldInParameterList);
        }
        // Check every descriptor before changing anything: a bad one fails the command without side effects.
        for (var i = 0; i < count; i++)
        {
            var d = data.Slice(8 + (16 * i), 16);
            var lba = BinaryPrimitives.ReadUInt64BigEndian(d);
            var n = BinaryPrimitives.ReadUInt32BigEndian(d[8..]);
            if (n == 0)
            {
                continue; // SBC-3 5.28: a descriptor of 0 blocks unmaps nothing and is not an error
            }
            if (lba > long.MaxValue || OutOfRange((long)lba, n))
            {
                return ScsiPlan.Check(ScsiSense.LbaOutOfRange);
            }
            if (n > MaxUnmapBlocks)
            {
                return ScsiPlan.Check(ScsiSense.InvalidFieldInParameterList);
            }
        }
        for (var i = 0; i < count; i++)
        {
            var d = data.Slice(8 + (16 * i), 16);
            var lba = (long)BinaryPrimitives.ReadUInt64BigEndian(d);
            var n = BinaryPrimitives.ReadUInt32BigEndian(d[8..]);
            if (n > 0)
            {
                Export.Disk.WriteZeroes(lba * BlockSize, n * (long)BlockSize);
                Export.Counters.Written(client, lba * BlockSize, n * (long)BlockSize);
            }
        }
        return ScsiPlan.Good;
    }

    private ScsiPlan WriteSame(long lba, long blocks, ReadOnlySpan<byte> block, BlockCounters? client)
    {
        if (block.Length < BlockSize)
        {
            return ScsiPlan.Check(ScsiSense.ParameterListLengthError);
        }
        block = block[..BlockSize];
        var offset = lba * BlockSize;
        var length = blocks * BlockSize;
        if (!block.ContainsAnyExcept((byte)0))
        {
            Export.Disk.WriteZeroes(offset, length);
        }
        else
        {
            var chunk = new byte[Math.Min(length, 256 * 1024)];
            for (var i = 0; i < chunk.Length; i += BlockSize)
            {
                block.CopyTo(chunk.AsSpan(i));
            }
            for (long pos = 0; pos < length; pos += chunk.Length)
            {
                var n = (int)Math.Min(chunk.Length, length - pos);
                Export.Disk.Write(offset + pos, chunk.AsSpan(0, n));
            }
        }
        Export.Counters.Written(client, offset, length);
        return ScsiPlan.Good;
    }
}

using System.Buffers.Binary;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Session;
using BareMetal.ImageStore.Nbd.Wire;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Nbd.Tests;

/// <summary>The transmission session without sockets: requests in, reply bytes out.</summary>
public class TransmissionTests
{
    private const ulong Size = 16 << 20;
    private TempDir _dir = null!;
    private string _path = null!;
    private NbdExport _ro = null!;
    private NbdExport _rw = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("nbd-tx");
        _path = TestDisks.CreateSparse(_dir.File("disk.raw"), (long)Size);
        File.Copy(_path, _dir.File("rw.raw"));
        _ro = new NbdExport("ro", TestDisks.OpenRaw(_path, false), readOnly: true);
        _rw = new NbdExport("rw", TestDisks.OpenRaw(_dir.File("rw.raw"), true), readOnly: false);
    }

    [TearDown]
    public void TearDown()
    {
        _ro.Disk.Dispose();
        _rw.Disk.Dispose();
        _dir.Dispose();
    }

    private static NbdRequest Req(ushort type, ulong offset, uint length, ushort flags = 0) => new(flags, type, 99, offset, length);

    private static (uint Error, ulong Handle) Simple(PooledReply r)
    {
        var s = r.Span;
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(s), Is.EqualTo(NbdProtocol.SimpleReplyMagic));
        return (BinaryPrimitives.ReadUInt32BigEndian(s[4..]), BinaryPrimitives.ReadUInt64BigEndian(s[8..]));
    }

    private static List<(ushort Flags, ushort Type, byte[] Payload)> Chunks(PooledReply r)
    {
        var list = new List<(ushort, ushort, byte[])>();
        var s = r.Span;
        while (!s.IsEmpty)
        {
            Assert.That(BinaryPrimitives.ReadUInt32BigEndian(s), Is.EqualTo(NbdProtocol.StructuredReplyMagic));
            Assert.That(BinaryPrimitives.ReadUInt64BigEndian(s[8..]), Is.EqualTo(99UL));
            var len = (int)BinaryPrimitives.ReadUInt32BigEndian(s[16..]);
            list.Add((BinaryPrimitives.ReadUInt16BigEndian(s[4..]), BinaryPrimitives.ReadUInt16BigEndian(s[6..]), s.Slice(20, len).ToArray()));
            s = s[(20 + len)..];
        }
        return list;
    }

    [Test]
    public void Read_Simple_ReturnsHeaderThenBytes()
    {
        var t = new NbdTransmission(_ro, false, false, false);
        using var r = t.Execute(Req(NbdProtocol.CmdRead, (1 << 20) - 4, 8), [])!;
        Assert.That(Simple(r), Is.EqualTo((0u, 99UL)));
        Assert.That(r.Span[16..].ToArray(), Is.EqualTo(new byte[] { 0, 0, 0, 0, 0x5a, 0x5a, 0x5a, 0x5a }));
    }

    [Test]
    public void Read_Structured_SendsHolesAsHoleChunksAndDataAsDataChunksDoneLast()
    {
        var t = new NbdTransmission(_ro, true, true, true);
        using var r = t.Execute(Req(NbdProtocol.CmdRead, 0, 2 << 20), [])!;
        var chunks = Chunks(r);
        Assert.That(chunks.Select(c => c.Type), Is.EqualTo(new[] { NbdProtocol.ReplyTypeOffsetHole, NbdProtocol.ReplyTypeOffsetData, NbdProtocol.ReplyTypeOffsetHole }));
        Assert.That(chunks.Select(c => c.Flags & NbdProtocol.ReplyFlagDone), Is.EqualTo(new[] { 0, 0, 1 }));
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(chunks[0].Payload), Is.Zero);
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(chunks[0].Payload.AsSpan(8)), Is.EqualTo(1u << 20));
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(chunks[1].Payload), Is.EqualTo(1UL << 20));
        Assert.That(chunks[1].Payload.Length - 8, Is.EqualTo(196608));
        Assert.That(chunks[1].Payload.Skip(8), Is.All.EqualTo((byte)0x5a));
    }

    [Test]
    public void Read_WithDf_SendsOneDataChunk()
    {
        var t = new NbdTransmission(_ro, true, true, true);
        using var r = t.Execute(Req(NbdProtocol.CmdRead, 0, 2 << 20, NbdProtocol.CmdFlagDf), [])!;
        var chunks = Chunks(r);
        Assert.That(chunks, Has.Count.EqualTo(1));
        Assert.That(chunks[0].Type, Is.EqualTo(NbdProtocol.ReplyTypeOffsetData));
        Assert.That(chunks[0].Flags, Is.EqualTo(NbdProtocol.ReplyFlagDone));
    }

    [TestCase(Size - 512, 1024u)]
    [TestCase(Size, 512u)]
    [TestCase(ulong.MaxValue - 100, 512u)]
    public void Read_BeyondEnd_ReturnsEinval(ulong offset, uint length)
    {
        var t = new NbdTransmission(_ro, false, false, false);
        using var r = t.Execute(Req(NbdProtocol.CmdRead, offset, length), [])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.EINVAL));
        Assert.That(r.Length, Is.EqualTo(16), "no payload after an error");
    }

    [Test]
    public void Read_FourGiB_ReturnsEinvalWithStructuredMessage()
    {
        var t = new NbdTransmission(_ro, true, true, false);
        using var r = t.Execute(Req(NbdProtocol.CmdRead, 0, uint.MaxValue), [])!;
        var c = Chunks(r).Single();
        Assert.That(c.Type, Is.EqualTo(NbdProtocol.ReplyTypeError));
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(c.Payload), Is.EqualTo(NbdProtocol.EINVAL));
    }

    [Test]
    public void Read_Misaligned_WhenBlockSizeAgreed_ReturnsEinval()
    {
        var strict = new NbdTransmission(_ro, false, false, blockSizeAgreed: true);
        using var r = strict.Execute(Req(NbdProtocol.CmdRead, 100, 512), [])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.EINVAL));
        var lax = new NbdTransmission(_ro, false, false, blockSizeAgreed: false);
        using var ok = lax.Execute(Req(NbdProtocol.CmdRead, 100, 3), [])!;
        Assert.That(Simple(ok).Error, Is.Zero);
    }

    [Test]
    public void Read_ZeroLength_ReturnsEinval()
    {
        using var r = new NbdTransmission(_ro, false, false, false).Execute(Req(NbdProtocol.CmdRead, 0, 0), [])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.EINVAL));
    }

    [TestCase(NbdProtocol.CmdWrite)]
    [TestCase(NbdProtocol.CmdTrim)]
    [TestCase(NbdProtocol.CmdWriteZeroes)]
    public void Writes_ToReadOnly_ReturnEperm(ushort type)
    {
        var payload = new byte[512];
        using var r = new NbdTransmission(_ro, false, false, false).Execute(Req(type, 0, 512), type == NbdProtocol.CmdWrite ? payload : [])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.EPERM));
    }

    [Test]
    public void Write_ThenRead_ReturnsWrittenBytesAndBaseFileUntouched()
    {
        var t = new NbdTransmission(_rw, false, false, true);
        var data = Enumerable.Range(0, 4096).Select(i => (byte)(i & 0xff)).ToArray();
        using (var w = t.Execute(Req(NbdProtocol.CmdWrite, 8192, 4096, NbdProtocol.CmdFlagFua), data)!)
        {
            Assert.That(Simple(w).Error, Is.Zero);
        }
        using var r = t.Execute(Req(NbdProtocol.CmdRead, 8192, 4096), [])!;
        Assert.That(r.Span[16..].ToArray(), Is.EqualTo(data));
        var snap = _rw.Counters.Snapshot();
        Assert.That((snap.BytesWritten, snap.BytesRead, snap.Requests, snap.BlocksTouched), Is.EqualTo((4096L, 4096L, 2L, 1L)));
    }

    [Test]
    public void Write_BeyondEnd_ReturnsEnospc()
    {
        using var r = new NbdTransmission(_rw, false, false, false).Execute(Req(NbdProtocol.CmdWrite, Size - 512, 1024), new byte[1024])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.ENOSPC));
    }

    [Test]
    public void WriteZeroes_MakesRangeReadZero()
    {
        var t = new NbdTransmission(_rw, false, false, false);
        using (var z = t.Execute(Req(NbdProtocol.CmdWriteZeroes, 1 << 20, 8192, NbdProtocol.CmdFlagNoHole), [])!)
        {
            Assert.That(Simple(z).Error, Is.Zero);
        }
        using var r = t.Execute(Req(NbdProtocol.CmdRead, 1 << 20, 8192), [])!;
        Assert.That(r.Span[16..].ToArray(), Is.All.EqualTo((byte)0));
    }

    [Test]
    public void WriteZeroes_FastZeroOnRaw_ReturnsEnotsup()
    {
        using var r = new NbdTransmission(_rw, false, false, false).Execute(Req(NbdProtocol.CmdWriteZeroes, 0, 4096, NbdProtocol.CmdFlagFastZero), [])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.ENOTSUP));
    }

    private NbdExport Qcow2WithData(out byte[] data)
    {
        var disk = Qcow2Writer.Create(_dir.File("fz.qcow2"), 1 << 20, OverlayExportProvider.OverlayClusterSize);
        data = Enumerable.Repeat((byte)0x77, 3 * 65536).ToArray();
        disk.Write(0, data);
        return new NbdExport("fz", disk, readOnly: false);
    }

    [Test]
    public void WriteZeroes_FastZeroOnQcow2WholeClusters_SucceedsAndZeroes()
    {
        var export = Qcow2WithData(out _);
        using var disk = export.Disk;
        var t = new NbdTransmission(export, false, false, false);
        using (var z = t.Execute(Req(NbdProtocol.CmdWriteZeroes, 65536, 2 * 65536, NbdProtocol.CmdFlagFastZero), [])!)
        {
            Assert.That(Simple(z).Error, Is.Zero);
        }
        using var r = t.Execute(Req(NbdProtocol.CmdRead, 0, 3 * 65536), [])!;
        Assert.That(r.Span[16..(16 + 65536)].ToArray(), Is.All.EqualTo((byte)0x77));
        Assert.That(r.Span[(16 + 65536)..].ToArray(), Is.All.EqualTo((byte)0));
    }

    [Test]
    public void WriteZeroes_FastZeroOnQcow2PartialCluster_ReturnsEnotsupAndLeavesTheData()
    {
        // Half a cluster of data can only be zeroed by writing a zero buffer: not faster than a write.
        var export = Qcow2WithData(out var data);
        using var disk = export.Disk;
        var t = new NbdTransmission(export, false, false, false);
        using (var z = t.Execute(Req(NbdProtocol.CmdWriteZeroes, 0, 65536 + 4096, NbdProtocol.CmdFlagFastZero), [])!)
        {
            Assert.That(Simple(z).Error, Is.EqualTo(NbdProtocol.ENOTSUP));
        }
        using (var r = t.Execute(Req(NbdProtocol.CmdRead, 0, 3 * 65536), [])!)
        {
            Assert.That(r.Span[16..].ToArray(), Is.EqualTo(data), "a refused FAST_ZERO changes nothing");
        }
        // Without FAST_ZERO the same range is zeroed (the slow way).
        using (var z = t.Execute(Req(NbdProtocol.CmdWriteZeroes, 0, 65536 + 4096), [])!)
        {
            Assert.That(Simple(z).Error, Is.Zero);
        }
        using var after = t.Execute(Req(NbdProtocol.CmdRead, 0, 65536 + 8192), [])!;
        Assert.That(after.Span[16..(16 + 65536 + 4096)].ToArray(), Is.All.EqualTo((byte)0));
        Assert.That(after.Span[(16 + 65536 + 4096)..].ToArray(), Is.All.EqualTo((byte)0x77));
    }

    [Test]
    public void ClosedExport_RequestsGetEshutdown_AndCloseRaisesClosedOnce()
    {
        var t = new NbdTransmission(_rw, false, false, false);
        var raised = 0;
        _rw.Closed += () => raised++;
        _rw.Close();
        _rw.Close();
        Assert.That(raised, Is.EqualTo(1));
        using var r = t.Execute(Req(NbdProtocol.CmdRead, 0, 512), [])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.ESHUTDOWN));
        using var w = t.Execute(Req(NbdProtocol.CmdWrite, 0, 512), new byte[512])!;
        Assert.That(Simple(w).Error, Is.EqualTo(NbdProtocol.ESHUTDOWN));
    }

    [Test]
    public void HoldWrites_StopsWritesButNotReads_UntilReleased()
    {
        var t = new NbdTransmission(_rw, false, false, false);
        var payload = Enumerable.Repeat((byte)0x42, 512).ToArray();
        Task<uint> write;
        using (_rw.HoldWrites())
        {
            write = Task.Run(() =>
            {
                using var w = t.Execute(Req(NbdProtocol.CmdWrite, 0, 512), payload)!;
                return Simple(w).Error;
            });
            using (var r = t.Execute(Req(NbdProtocol.CmdRead, 0, 512), [])!)
            {
                Assert.That(r.Span[16..].ToArray(), Is.All.EqualTo((byte)0), "reads go on while writes are held");
            }
            Assert.That(write.Wait(TimeSpan.FromMilliseconds(200)), Is.False, "the write waits for the hold");
        }
        Assert.That(write.Wait(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(write.Result, Is.Zero);
        using var after = t.Execute(Req(NbdProtocol.CmdRead, 0, 512), [])!;
        Assert.That(after.Span[16..].ToArray(), Is.EqualTo(payload));
    }

    [Test]
    public void UnknownFlag_ReturnsEinval()
    {
        using var r = new NbdTransmission(_ro, false, false, false).Execute(Req(NbdProtocol.CmdRead, 0, 512, 0x4000), [])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.EINVAL));
    }

    [Test]
    public void DfWithoutStructuredReplies_ReturnsEinval()
    {
        using var r = new NbdTransmission(_ro, false, false, false).Execute(Req(NbdProtocol.CmdRead, 0, 512, NbdProtocol.CmdFlagDf), [])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.EINVAL));
    }

    [Test]
    public void UnknownCommand_ReturnsEinval()
    {
        using var r = new NbdTransmission(_ro, false, false, false).Execute(Req(77, 0, 512), [])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.EINVAL));
    }

    [Test]
    public void FlushAndCache_Succeed()
    {
        var t = new NbdTransmission(_ro, false, false, false);
        using var f = t.Execute(Req(NbdProtocol.CmdFlush, 0, 0), [])!;
        using var c = t.Execute(Req(NbdProtocol.CmdCache, 0, 4096), [])!;
        Assert.That((Simple(f).Error, Simple(c).Error), Is.EqualTo((0u, 0u)));
    }

    [Test]
    public void Disc_HasNoReply()
    {
        Assert.That(new NbdTransmission(_ro, false, false, false).Execute(Req(NbdProtocol.CmdDisc, 0, 0), []), Is.Null);
    }

    [Test]
    public void BlockStatus_ReportsHoleZeroAndData()
    {
        var t = new NbdTransmission(_ro, true, true, true);
        using var r = t.Execute(Req(NbdProtocol.CmdBlockStatus, 0, 2 << 20), [])!;
        var c = Chunks(r).Single();
        Assert.That(c.Type, Is.EqualTo(NbdProtocol.ReplyTypeBlockStatus));
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(c.Payload), Is.EqualTo(NbdProtocol.BaseAllocationId));
        var d = Enumerable.Range(0, (c.Payload.Length - 4) / 8)
            .Select(i => (BinaryPrimitives.ReadUInt32BigEndian(c.Payload.AsSpan(4 + 8 * i)), BinaryPrimitives.ReadUInt32BigEndian(c.Payload.AsSpan(8 + 8 * i))))
            .ToArray();
        Assert.That(d, Is.EqualTo(new[] { (1u << 20, 3u), (196608u, 0u), ((1u << 20) - 196608u, 3u) }));
    }

    [Test]
    public void BlockStatus_ReqOne_SendsOneDescriptor()
    {
        using var r = new NbdTransmission(_ro, true, true, true).Execute(Req(NbdProtocol.CmdBlockStatus, 0, 2 << 20, NbdProtocol.CmdFlagReqOne), [])!;
        Assert.That(Chunks(r).Single().Payload, Has.Length.EqualTo(12));
    }

    [Test]
    public void BlockStatus_WithoutMetaContext_ReturnsEinval()
    {
        using var r = new NbdTransmission(_ro, true, false, true).Execute(Req(NbdProtocol.CmdBlockStatus, 0, 4096), [])!;
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(Chunks(r).Single().Payload), Is.EqualTo(NbdProtocol.EINVAL));
    }

    [Test]
    public void Read_AfterDiskDisposed_ReturnsEio()
    {
        var t = new NbdTransmission(_ro, false, false, false);
        _ro.Disk.Dispose();
        using var r = t.Execute(Req(NbdProtocol.CmdRead, 0, 512), [])!;
        Assert.That(Simple(r).Error, Is.EqualTo(NbdProtocol.EIO));
    }
}

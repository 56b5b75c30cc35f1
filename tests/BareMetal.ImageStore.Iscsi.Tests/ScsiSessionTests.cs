using System.Buffers.Binary;
using BareMetal.ImageStore.Iscsi.Wire;

namespace BareMetal.ImageStore.Iscsi.Tests;

public sealed class ScsiSessionTests
{
    [Test]
    public void Read_SplitsIntoDataInOfInitiatorSize_WithStatusInLastPdu()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login(maxRecv: 8192);
        var r = i.Send(i.Command(Initiator.Read10(2, 64), 64 * 512, read: true, write: false));
        Assert.That(r, Has.Count.EqualTo(4));
        Assert.That(r.All(p => p.Opcode == IscsiOpcode.DataIn && p.Data.Length == 8192));
        Assert.That(r[^1].Flags & 0x81, Is.EqualTo(0x81), "F and S on the last Data-In");
        Assert.That(r.Take(3).All(p => (p.Flags & 0x01) == 0));
        Assert.That(r.Select(p => p.Word(40)), Is.EqualTo(new uint[] { 0, 8192, 16384, 24576 }), "buffer offsets");
        Assert.That(r.Select(p => p.Word(36)), Is.EqualTo(new uint[] { 0, 1, 2, 3 }), "DataSN");
        var expected = File.ReadAllBytes(t.Path).AsSpan(1024, 64 * 512).ToArray();
        Assert.That(r.SelectMany(p => p.Data).ToArray(), Is.EqualTo(expected));
    }

    [Test]
    public void Read_ExpectedLengthShorter_SendsThatMuchWithOverflowResidual()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login();
        var r = i.Send(i.Command(Initiator.Read10(0, 2), 512, read: true, write: false));
        Assert.That(r.Single().Data, Has.Length.EqualTo(512));
        Assert.That(r[0].Flags & 0x04, Is.EqualTo(0x04), "O bit");
        Assert.That(r[0].Word(44), Is.EqualTo(512u));
    }

    [Test]
    public void Write_ImmediateDataPath_WritesAndAnswersGood()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login(initialR2T: false, immediateData: true);
        var data = Enumerable.Repeat((byte)0x5a, 1024).ToArray();
        var r = i.Send(i.Command(Initiator.Write10(4, 2), 1024, read: false, write: true, immediate: data));
        Assert.That(r.Single().Opcode, Is.EqualTo(IscsiOpcode.ScsiResponse));
        Assert.That(r[0].ScsiStatus, Is.Zero);
        t.Provider.Export.Disk.Flush();
        Assert.That(File.ReadAllBytes(t.Path).AsSpan(2048, 1024).ToArray(), Is.EqualTo(data));
        Assert.That(t.Provider.Export.Counters.Snapshot().BytesWritten, Is.EqualTo(1024));
    }

    [Test]
    public void Write_UnsolicitedThenR2T_TakesBothBursts()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login(initialR2T: false, immediateData: true);
        // FirstBurstLength is 64 KiB: 4 KiB immediate + 60 KiB unsolicited Data-Out, then R2T for the rest.
        var total = 128 * 1024;
        var data = new byte[total];
        new Random(3).NextBytes(data);
        var itt = i.NextItt;
        Assert.That(i.Send(i.Command(Initiator.Write10(0, (ushort)(total / 512)), (uint)total, false, true, data.AsSpan(0, 4096), final: false)), Is.Empty);
        var r = i.Send(Initiator.DataOut(itt, 0xffffffff, 4096, data.AsSpan(4096, 65536 - 4096), final: true));
        var r2t = r.Single();
        Assert.That(r2t.Opcode, Is.EqualTo(IscsiOpcode.ReadyToTransfer));
        Assert.That(r2t.Word(40), Is.EqualTo(65536u), "R2T buffer offset");
        Assert.That(r2t.Word(44), Is.EqualTo(65536u), "R2T desired length");
        var done = i.Send(Initiator.DataOut(itt, r2t.Word(20), 65536, data.AsSpan(65536), final: true));
        Assert.That(done.Single().Opcode, Is.EqualTo(IscsiOpcode.ScsiResponse));
        Assert.That(done[0].ScsiStatus, Is.Zero);
        Assert.That(File.ReadAllBytes(t.Path).AsSpan(0, total).ToArray(), Is.EqualTo(data));
    }

    [Test]
    public void Write_IpxeStyleInitialR2T_WaitsForR2TAndRefusesImmediateData()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login(initialR2T: true, immediateData: false);
        var itt = i.NextItt;
        var r = i.Send(i.Command(Initiator.Write10(8, 1), 512, false, true));
        Assert.That(r.Single().Opcode, Is.EqualTo(IscsiOpcode.ReadyToTransfer));
        var done = i.Send(Initiator.DataOut(itt, r[0].Word(20), 0, new byte[512], final: true));
        Assert.That(done.Single().ScsiStatus, Is.Zero);
        var rejected = i.Send(i.Command(Initiator.Write10(8, 1), 512, false, true, new byte[512]));
        Assert.That(rejected.Single().Opcode, Is.EqualTo(IscsiOpcode.Reject), "ImmediateData=No was agreed");
    }

    [TestCase(true, (byte)0x07, (byte)0x27)]
    public void Write_ReadOnlyExport_IsDataProtectWriteProtected(bool readOnly, byte key, byte asc)
    {
        using var t = new TestExports(readOnly: readOnly);
        var i = t.NewInitiator();
        i.Login();
        var r = i.Send(i.Command(Initiator.Write10(0, 1), 512, false, true, new byte[512]));
        Assert.That(r.Single().ScsiStatus, Is.EqualTo(2));
        Assert.That(r[0].Sense, Is.EqualTo((key, asc, (byte)0)));
    }

    [TestCase(new byte[] { 0x28, 0, 0, 0, 0x08, 0, 0, 0, 1, 0 }, (byte)0x05, (byte)0x21)] // READ 10 past the end: LBA OUT OF RANGE
    [TestCase(new byte[] { 0xc5, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, (byte)0x05, (byte)0x20)]    // unknown opcode
    [TestCase(new byte[] { 0x12, 0, 0x80, 0, 0xff, 0 }, (byte)0x05, (byte)0x24)]          // INQUIRY page without EVPD
    [TestCase(new byte[] { 0x28, 0x20, 0, 0, 0, 0, 0, 0, 1, 0 }, (byte)0x05, (byte)0x24)] // RDPROTECT set
    public void BadCdb_GetsCheckConditionWithSense(byte[] cdb, byte key, byte asc)
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login();
        var r = i.Send(i.Command(cdb, 512, read: true, write: false));
        Assert.That(r.Single().Opcode, Is.EqualTo(IscsiOpcode.ScsiResponse));
        Assert.That(r[0].ScsiStatus, Is.EqualTo(2));
        Assert.That(r[0].Sense, Is.EqualTo((key, asc, (byte)0)));
    }

    [Test]
    public void Inquiry_Vpd83_HasUniqueNaaPerExport()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login();
        var r = i.Send(i.Command(new byte[] { 0x12, 1, 0x83, 0, 0xff, 0 }, 255, true, false));
        var page = r.Single().Data;
        Assert.That(page[1], Is.EqualTo(0x83));
        Assert.That(page[5] & 0x0f, Is.EqualTo(3), "designator type NAA");
        Assert.That(page[8] >> 4, Is.EqualTo(6), "NAA 6");
        var other = new Scsi.ScsiLogicalUnit(new Nbd.Exports.NbdExport("other", t.Provider.Export.Disk, readOnly: true));
        Assert.That(other.NaaId.ToArray(), Is.Not.EqualTo(page.AsSpan(8, 16).ToArray()));
    }

    [Test]
    public void CmdSN_OutsideWindow_IsDropped_InWindowIsServed()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login();
        Assert.That(i.Send(i.Command(new byte[6], 0, false, false, cmdSN: i.CmdSN + 1000)), Is.Empty);
        var r = i.Send(i.Command(new byte[6], 0, false, false));
        Assert.That(r.Single().ScsiStatus, Is.Zero, "TEST UNIT READY at ExpCmdSN");
        Assert.That(r[0].Word(28), Is.EqualTo(i.CmdSN), "ExpCmdSN advanced");
        Assert.That(r[0].Word(32) - r[0].Word(28), Is.EqualTo(IscsiLimits.CommandWindow - 1), "MaxCmdSN window");
    }

    [Test]
    public void TaskManagement_AbortOfPendingWrite_CompletesAndLaterDataIsDropped()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login(initialR2T: true, immediateData: false);
        var itt = i.NextItt;
        var r2t = i.Send(i.Command(Initiator.Write10(0, 8), 4096, false, true)).Single();
        var tmf = Initiator.Pdu(IscsiOpcode.TaskManagementRequest, 0x80 | 1, [], b =>
        {
            Initiator.Word(b, 16, 0x777);
            Initiator.Word(b, 20, itt);
            Initiator.Word(b, 24, i.CmdSN++);
        }, immediate: true);
        var answer = i.Send(tmf).Single();
        Assert.That(answer.Opcode, Is.EqualTo(IscsiOpcode.TaskManagementResponse));
        Assert.That(answer.Bhs[2], Is.Zero, "function complete");
        Assert.That(i.Send(Initiator.DataOut(itt, r2t.Word(20), 0, new byte[4096], true)), Is.Empty, "late data for the aborted task is dropped");
        var again = i.Send(tmf).Single();
        Assert.That(again.Bhs[2], Is.EqualTo(1), "task does not exist any more");
    }

    [Test]
    public void HeldWrites_WriteCommandAndDataOutWait_ReadsGoOn_UntilReleased()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login(initialR2T: false, immediateData: true);
        var data = Enumerable.Repeat((byte)0x6b, 8192).ToArray();
        var itt = i.NextItt;
        var command = i.Command(Initiator.Write10(8, 16), 8192, false, true, data.AsSpan(0, 4096), final: false);
        var read = i.Command(Initiator.Read10(8, 16), 8192, read: true, write: false);
        Task<List<TargetReply>> pending;
        using (t.Provider.Export.HoldWrites())
        {
            // A write command waits at the gate: a commit copying the overlay sees it either all or not at all.
            pending = Task.Run(() => i.Send(command));
            Assert.That(pending.Wait(TimeSpan.FromMilliseconds(200)), Is.False, "the write waits for the hold");
        }
        Assert.That(pending.Wait(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(pending.Result, Is.Empty, "more data is due");
        using (t.Provider.Export.HoldWrites())
        {
            // Its Data-Out waits too; a read of the same blocks does not, and sees the old bytes.
            var dataOut = Task.Run(() => i.Send(Initiator.DataOut(itt, 0xffffffff, 4096, data.AsSpan(4096), final: true)));
            Assert.That(dataOut.Wait(TimeSpan.FromMilliseconds(200)), Is.False, "the Data-Out waits for the hold");
            Assert.That(dataOut.IsCompleted, Is.False);
            pending = dataOut;
        }
        Assert.That(pending.Wait(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(pending.Result.Single().ScsiStatus, Is.Zero);
        var back = i.Send(read);
        Assert.That(back.SelectMany(p => p.Data).ToArray(), Is.EqualTo(data));
    }

    [Test]
    public void HeldWrites_ReadGoesOn()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login();
        using var hold = t.Provider.Export.HoldWrites();
        var read = Task.Run(() => i.Send(i.Command(Initiator.Read10(0, 1), 512, read: true, write: false)));
        Assert.That(read.Wait(TimeSpan.FromSeconds(10)), Is.True, "reads pass a hold");
        Assert.That(read.Result.Single().Data, Is.EqualTo(File.ReadAllBytes(t.Path).AsSpan(0, 512).ToArray()));
    }

    [Test]
    public void ClosedExport_SessionEnds_WithoutTouchingTheDisk()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login(initialR2T: false, immediateData: true);
        var before = File.ReadAllBytes(t.Path);
        t.Provider.Export.Close();
        var r = i.Send(i.Command(Initiator.Write10(0, 1), 512, false, true, new byte[512]));
        Assert.That(r, Is.Empty);
        Assert.That(i.Session.State, Is.EqualTo(Session.IscsiSessionState.Closed));
        Assert.That(i.Session.LastProblem, Does.Contain("reset"));
        Assert.That(File.ReadAllBytes(t.Path), Is.EqualTo(before));
    }

    [Test]
    public void Logout_AnswersAndCloses()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login();
        var r = i.Send(Initiator.Pdu(IscsiOpcode.LogoutRequest, 0x80, [], b => { b[0] |= 0x40; Initiator.Word(b, 16, 3); }));
        Assert.That(r.Single().Opcode, Is.EqualTo(IscsiOpcode.LogoutResponse));
        Assert.That(i.Session.State, Is.EqualTo(Session.IscsiSessionState.Closed));
    }

    [Test]
    public void Unmap_ZeroesTheRange()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login();
        var param = new byte[24];
        BinaryPrimitives.WriteUInt16BigEndian(param, 22);
        BinaryPrimitives.WriteUInt16BigEndian(param.AsSpan(2), 16);
        BinaryPrimitives.WriteUInt64BigEndian(param.AsSpan(8), 10);
        BinaryPrimitives.WriteUInt32BigEndian(param.AsSpan(16), 4);
        var cdb = new byte[10];
        cdb[0] = 0x42;
        cdb[8] = 24;
        var r = i.Send(i.Command(cdb, 24, false, true, param));
        Assert.That(r.Single().ScsiStatus, Is.Zero);
        Assert.That(File.ReadAllBytes(t.Path).AsSpan(10 * 512, 4 * 512).ContainsAnyExcept((byte)0), Is.False);
        // Counted as written, for the export and for the initiator's address (it used to be the total only).
        Assert.That(t.Provider.Export.Counters.Snapshot().BytesWritten, Is.EqualTo(4 * 512));
        Assert.That(t.Provider.Export.Counters.ClientSnapshots()["127.0.0.1"].BytesWritten, Is.EqualTo(4 * 512));
    }

    [Test]
    public void WriteSame16_NoDataOutBuffer_ZeroesAndCountsTheWriteForTheClient()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        i.Login();
        var cdb = new byte[16];
        cdb[0] = 0x93;
        cdb[1] = 0x01; // NDOB: zeroes, no parameter data
        BinaryPrimitives.WriteUInt64BigEndian(cdb.AsSpan(2), 128);
        BinaryPrimitives.WriteUInt32BigEndian(cdb.AsSpan(10), 8);
        var r = i.Send(i.Command(cdb, 0, false, false));
        Assert.That(r.Single().ScsiStatus, Is.Zero);
        Assert.That(File.ReadAllBytes(t.Path).AsSpan(128 * 512, 8 * 512).ContainsAnyExcept((byte)0), Is.False);
        Assert.That(t.Provider.Export.Counters.Snapshot().BytesWritten, Is.EqualTo(8 * 512));
        Assert.That(t.Provider.Export.Counters.ClientSnapshots()["127.0.0.1"].BytesWritten, Is.EqualTo(8 * 512));
    }
}

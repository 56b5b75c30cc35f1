using BareMetal.MediatorModel.Spec.Runtime;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>The mediator generated from nvme.mspec: admin queue bring-up, I/O queue creation, phase bits.</summary>
public class NvmeMediatorTests
{
    private const int Cc = 0x14, Csts = 0x1C, Aqa = 0x24, Asq = 0x28, Acq = 0x30;
    private const int AdminSq = 0x10000, AdminCq = 0x11000, IoSq = 0x20000, IoCq = 0x21000;

    private TestMemory _mem = null!;
    private IGeneratedMediator _m = null!;
    private List<DecodedCommand> _commands = null!;
    private int _interrupts;

    private static int SqTail(int q) => 0x1000 + (q * 8);

    private static int CqHead(int q) => 0x1004 + (q * 8);

    [SetUp]
    public void SetUp()
    {
        _mem = new TestMemory();
        _m = GeneratedAssembly.Shipped("nvme", _mem);
        _commands = [];
        _interrupts = 0;
        _m.CommandDecoded += (_, c) => _commands.Add(c);
        _m.InterruptRaised += (_, _) => _interrupts++;
        _m.WriteRegister(Aqa, 4, (3u << 16) | 3); // 4-entry admin queues
        _m.WriteRegister(Asq, 8, AdminSq);
        _m.WriteRegister(Acq, 8, AdminCq);
        _m.WriteRegister(Cc, 4, (4u << 20) | (6u << 16) | 1);
    }

    private void Sqe(int address, byte opcode, ushort cid, ulong prp1 = 0, uint cdw10 = 0, uint cdw11 = 0, uint cdw12 = 0)
    {
        _mem.Put(address, new byte[64]);
        _mem.Put(address, opcode, 0, unchecked((byte)cid), (byte)(cid >> 8));
        _mem.Put64(address + 24, prp1);
        _mem.Put32(address + 40, cdw10);
        _mem.Put32(address + 44, cdw11);
        _mem.Put32(address + 48, cdw12);
    }

    [Test]
    public void Enable_SetsReadyAndMovesTheController()
    {
        Assert.That(_m.ReadRegister(Csts, 4) & 1, Is.EqualTo(1));
        Assert.That(_m.StateOf("controller", 0), Is.EqualTo("Ready"));
        Assert.That(_m.ReadRegister(0x00, 8) & 0xFFFF, Is.EqualTo(0x3FF), "CAP.MQES");
    }

    [Test]
    public void AdminIdentify_PostsACompletionWithPhaseOneAndRaisesTheInterrupt()
    {
        Sqe(AdminSq, 0x06, cid: 0x1234);
        _m.WriteRegister(SqTail(0), 4, 1);

        var c = _commands.Single();
        Assert.That((c.Name, c.Kind, c.Instance, c.Item), Is.EqualTo(("IDENTIFY", CommandKind.Identify, 0, 0UL)));
        Assert.That(_m.AtSafePoint, Is.False);
        Assert.That(_m.StateOf("queue", 0), Is.EqualTo("Busy"));

        _m.Complete(c);

        Assert.That(_mem.U16(AdminCq + 12), Is.EqualTo(0x1234), "CID");
        Assert.That(_mem.U16(AdminCq + 8), Is.EqualTo(1), "SQ head");
        Assert.That(_mem.U16(AdminCq + 14) & 1, Is.EqualTo(1), "phase tag of the first pass");
        Assert.That(_interrupts, Is.EqualTo(1));
        Assert.That(_m.AtSafePoint, Is.True);
        Assert.That(_m.StateOf("queue", 0), Is.EqualTo("Empty"));

        _m.WriteRegister(CqHead(0), 4, 1);
        Assert.That(_m.InterruptLine, Is.False, "the host consumed every entry");
    }

    [Test]
    public void PhaseTag_FlipsWhenTheCompletionQueueWraps()
    {
        for (var i = 0; i < 5; i++)
        {
            Sqe(AdminSq + ((i % 4) * 64), 0x0A, cid: (ushort)i);
            _m.WriteRegister(SqTail(0), 4, (ulong)((i + 1) % 4));
            _m.Complete(_commands[^1]);
        }
        Assert.That(_commands.Select(c => c.Item), Is.EqualTo(new ulong[] { 0, 1, 2, 3, 0 }));
        Assert.That(_mem.U16(AdminCq + 14) & 1, Is.Zero, "the fifth entry overwrote slot 0 with phase 0");
        Assert.That(_mem.U16(AdminCq + 12), Is.EqualTo(4));
        Assert.That(_mem.U16(AdminCq + (3 * 16) + 14) & 1, Is.EqualTo(1));
    }

    [Test]
    public void IoQueues_CreatedByAdminCommands_DecodeReadsWithLbaAndBlockCount()
    {
        Sqe(AdminSq, 0x05, cid: 1, prp1: IoCq, cdw10: (15u << 16) | 1);            // Create I/O CQ 1, 16 entries
        Sqe(AdminSq + 64, 0x01, cid: 2, prp1: IoSq, cdw10: (15u << 16) | 1, cdw11: 1u << 16); // Create I/O SQ 1 -> CQ 1
        _m.WriteRegister(SqTail(0), 4, 2);
        foreach (var c in _commands.ToList())
        {
            _m.Complete(c);
        }
        _commands.Clear();

        Sqe(IoSq, 0x02, cid: 7, cdw10: 0x89AB_CDEF, cdw11: 0x1, cdw12: 7);
        _m.WriteRegister(SqTail(1), 4, 1);

        var read = _commands.Single();
        Assert.That((read.Name, read.Kind, read.Instance, read.Lba, read.Count), Is.EqualTo(("READ", CommandKind.Read, 1, 0x1_89AB_CDEFUL, 8UL)));
        _m.Complete(read);
        Assert.That(_mem.U16(IoCq + 12), Is.EqualTo(7));
        Assert.That(_mem.U16(IoCq + 10), Is.EqualTo(1), "SQID");
    }

    [Test]
    public void TailBeyondTheRing_IsIgnored()
    {
        _m.WriteRegister(SqTail(0), 4, 9);
        Assert.That(_commands, Is.Empty);
        _m.WriteRegister(SqTail(5), 4, 1);
        Assert.That(_commands, Is.Empty, "queue 5 does not exist (size 0)");
    }
}

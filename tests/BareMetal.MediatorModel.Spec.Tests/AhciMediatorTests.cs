using BareMetal.MediatorModel.Spec.Runtime;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>
/// The mediator generated from ahci.mspec, driven like a guest AHCI driver drives an HBA: program
/// PxCLB/PxFB, build a command header and an H2D FIS in memory, set PxCI, then complete.
/// </summary>
public class AhciMediatorTests
{
    // ABAR offsets of port 0 (0x100 + port * 0x80 + register).
    private const int Ghc = 0x04, HbaIs = 0x08, PxClb = 0x100, PxFb = 0x108, PxIs = 0x110, PxIe = 0x114, PxCmd = 0x118, PxTfd = 0x120, PxSact = 0x134, PxCi = 0x138;
    private const int CommandList = 0x1000, ReceivedFis = 0x2000, CommandTable = 0x3000;

    private TestMemory _mem = null!;
    private IGeneratedMediator _m = null!;
    private List<DecodedCommand> _commands = null!;
    private int _interrupts;

    [SetUp]
    public void SetUp()
    {
        _mem = new TestMemory();
        _m = GeneratedAssembly.Shipped("ahci", _mem);
        _commands = [];
        _interrupts = 0;
        _m.CommandDecoded += (_, c) => _commands.Add(c);
        _m.InterruptRaised += (_, _) => _interrupts++;
        _m.WriteRegister(Ghc, 4, 0x8000_0002); // AE | IE
        _m.WriteRegister(PxClb, 4, CommandList);
        _m.WriteRegister(PxFb, 4, ReceivedFis);
        _m.WriteRegister(PxIe, 4, 0x0000_0009); // DHRE | SDBE
        _m.WriteRegister(PxCmd, 4, 0x11); // ST | FRE
    }

    /// <summary>Command header in slot <paramref name="slot"/> and an H2D register FIS in its command table.</summary>
    private void Command(int slot, byte command, ulong lba, ushort count, ushort features = 0, bool write = false)
    {
        var header = CommandList + (slot * 32);
        var table = CommandTable + (slot * 0x100);
        _mem.Put32(header, (1u << 16) | (write ? 1u << 6 : 0) | 5); // PRDTL 1, CFL 5 dwords
        _mem.Put32(header + 4, 0);
        _mem.Put32(header + 8, (uint)table);
        _mem.Put32(header + 12, 0);
        unchecked
        {
            _mem.Put(table,
                0x27, 0x80, command, (byte)features,
                (byte)lba, (byte)(lba >> 8), (byte)(lba >> 16), 0x40,
                (byte)(lba >> 24), (byte)(lba >> 32), (byte)(lba >> 40), (byte)(features >> 8),
                (byte)count, (byte)(count >> 8), 0, 0);
        }
    }

    [Test]
    public void StartingThePort_MirrorsStIntoCrAndLeavesStopped()
    {
        Assert.That(_m.ReadRegister(PxCmd, 4), Is.EqualTo(0xC011), "CR (15) and FR (14) follow ST and FRE");
        Assert.That(_m.StateOf("link", 0), Is.EqualTo("Idle"));
        Assert.That(_m.AtSafePoint, Is.True);
    }

    [Test]
    public void ReadDmaExt_IsDecodedAtThePxCiWrite_AndCompletesWithDhrsAndAnInterrupt()
    {
        Command(slot: 2, command: 0x25, lba: 0x01_3020_10, count: 8);

        _m.WriteRegister(PxCi, 4, 1u << 2);

        Assert.That(_commands, Has.Count.EqualTo(1));
        var c = _commands[0];
        Assert.That((c.Name, c.Kind, c.Lba, c.Count, c.Item, c.Instance, c.Queued), Is.EqualTo(("READ_DMA_EXT", CommandKind.Read, 0x01_3020_10UL, 8UL, 2UL, 0, false)));
        Assert.That(_m.ReadRegister(PxCi, 4), Is.EqualTo(1u << 2));
        Assert.That(_m.ReadRegister(PxTfd, 4) & 0xFF, Is.EqualTo(0x80), "BSY while the command runs");
        Assert.That(_m.StateOf("link", 0), Is.EqualTo("Busy"));
        Assert.That(_m.AtSafePoint, Is.False);
        Assert.That(_m.CanMultiplex, Is.False);
        Assert.That(_m.ShouldRedirect(c.Kind), Is.True);
        Assert.That(_interrupts, Is.Zero);

        _m.Complete(c);

        Assert.That(_m.ReadRegister(PxCi, 4), Is.Zero);
        Assert.That(_m.ReadRegister(PxIs, 4), Is.EqualTo(0x1), "DHRS");
        Assert.That(_m.ReadRegister(HbaIs, 4), Is.EqualTo(0x1), "port 0 pending in IS");
        Assert.That(_m.ReadRegister(PxTfd, 4) & 0xFF, Is.EqualTo(0x40), "DRDY once nothing is outstanding");
        Assert.That(_interrupts, Is.EqualTo(1));
        Assert.That(_m.InterruptLine, Is.True);
        Assert.That(_mem.U32(CommandList + 64 + 4), Is.EqualTo(8 * 512), "PRDBC");
        Assert.That(_mem.Byte(ReceivedFis + 0x40), Is.EqualTo(0x34), "D2H FIS posted");
        Assert.That(_mem.Byte(ReceivedFis + 0x42), Is.EqualTo(0x40));
        Assert.That(_m.StateOf("link", 0), Is.EqualTo("Idle"));
        Assert.That(_m.AtSafePoint, Is.True);
        Assert.That(_m.CanDevirtualize, Is.False, "an interrupt is still pending in IS");

        // The guest's interrupt handler: write 1 to clear PxIS, then IS.
        _m.WriteRegister(PxIs, 4, 0x1);
        _m.WriteRegister(HbaIs, 4, 0x1);
        Assert.That(_m.ReadRegister(PxIs, 4), Is.Zero);
        Assert.That(_m.InterruptLine, Is.False);
        Assert.That(_m.CanDevirtualize, Is.True);
    }

    [Test]
    public void ReadFpdmaQueued_HoldsItsSlotUntilDone_AndCompletesThroughSactAndSdbs()
    {
        const int tag = 5;
        Command(slot: tag, command: 0x60, lba: 0x10_0000, count: tag << 3, features: 16);
        _m.WriteRegister(PxSact, 4, 1u << tag);

        _m.WriteRegister(PxCi, 4, 1u << tag);

        var c = _commands.Single();
        Assert.That((c.Name, c.Kind, c.Lba, c.Count, c.Tag, c.Queued), Is.EqualTo(("READ_FPDMA_QUEUED", CommandKind.Read, 0x10_0000UL, 16UL, (ulong)tag, true)));
        Assert.That(_m.ReadRegister(PxCi, 4), Is.EqualTo(1u << tag), "the mediator accepts a command (NCQ too) only when it is done");
        Assert.That(_m.ReadRegister(PxTfd, 4) & 0xFF, Is.EqualTo(0x80), "BSY while it runs");
        Assert.That(_m.ReadRegister(PxSact, 4), Is.EqualTo(1u << tag));
        Assert.That(_m.AtSafePoint, Is.False, "PxSACT still holds the tag");

        _m.Complete(c);

        Assert.That(_m.ReadRegister(PxSact, 4), Is.Zero);
        Assert.That(_m.ReadRegister(PxCi, 4), Is.Zero);
        Assert.That(_m.ReadRegister(PxIs, 4), Is.EqualTo(0x8), "SDBS");
        Assert.That(_mem.U32(ReceivedFis + 0x5C), Is.EqualTo(1u << tag), "SDB FIS SActive");
        Assert.That(_interrupts, Is.EqualTo(1));
        Assert.That(_m.AtSafePoint, Is.True);
    }

    [Test]
    public void SeveralSlotsInOneWrite_AreDecodedLowestFirst()
    {
        Command(slot: 0, command: 0xCA, lba: 100, count: 1, write: true);
        Command(slot: 3, command: 0xE7, lba: 0, count: 0);
        Command(slot: 1, command: 0xEC, lba: 0, count: 0);

        _m.WriteRegister(PxCi, 4, 0b1011);

        Assert.That(_commands.Select(c => (c.Item, c.Name, c.Kind)), Is.EqualTo(new[]
        {
            (0UL, "WRITE_DMA", CommandKind.Write),
            (1UL, "IDENTIFY_DEVICE", CommandKind.Identify),
            (3UL, "FLUSH_CACHE", CommandKind.Flush),
        }));
        Assert.That(_commands[0].Lba, Is.EqualTo(100));
        foreach (var c in _commands.ToList())
        {
            _m.Complete(c);
        }
        Assert.That(_m.ReadRegister(PxCi, 4), Is.Zero);
        Assert.That(_m.StateOf("link", 0), Is.EqualTo("Idle"));
    }

    [Test]
    public void RewritingAnIssuedBit_DoesNotIssueTheCommandAgain()
    {
        Command(slot: 0, command: 0x25, lba: 1, count: 1);
        _m.WriteRegister(PxCi, 4, 1);
        _m.WriteRegister(PxCi, 4, 1);
        Assert.That(_commands, Has.Count.EqualTo(1));
    }

    [Test]
    public void ClearingSt_AbortsOutstandingCommandsAndStopsThePort()
    {
        Command(slot: 0, command: 0x25, lba: 1, count: 1);
        _m.WriteRegister(PxCi, 4, 1);
        _m.WriteRegister(PxCmd, 4, 0x10);
        Assert.That(_m.ReadRegister(PxCi, 4), Is.Zero);
        Assert.That(_m.StateOf("link", 0), Is.EqualTo("Stopped"));
        Assert.That(_m.ReadRegister(PxCmd, 4) & 0x8000, Is.Zero, "CR clears with ST");
    }

    [Test]
    public void CommandListOutsideGuestMemory_DecodesAsUndecodedWithoutThrowing()
    {
        _m.WriteRegister(PxClb, 4, 0xFFFF_FC00);
        _m.WriteRegister(PxClb + 4, 4, 0xFFFF_FFFF);
        _m.WriteRegister(PxCi, 4, 0xFFFF_FFFF);
        Assert.That(_commands, Has.Count.EqualTo(32));
        Assert.That(_commands.Select(c => c.Name), Is.All.EqualTo("UNDECODED"));
        Assert.That(_commands.Select(c => c.Kind), Is.All.EqualTo(CommandKind.Other));
    }

    [Test]
    public void OtherPorts_HaveTheirOwnRegistersAndMachines()
    {
        _m.WriteRegister(0x100 + 0x80 + 0x18, 4, 0x11);
        Assert.That(_m.StateOf("link", 1), Is.EqualTo("Idle"));
        Assert.That(_m.StateOf("link", 2), Is.EqualTo("Stopped"));
        Assert.That(() => _m.StateOf("link", 32), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ReadOnlyCapabilities_IgnoreGuestWrites()
    {
        _m.WriteRegister(0x00, 4, 0);
        Assert.That(_m.ReadRegister(0x00, 4), Is.EqualTo(0xC000_1F00));
        _m.WriteRegister(PxCmd, 4, 0x8011);
        Assert.That(_m.ReadRegister(PxCmd, 4), Is.EqualTo(0xC011), "CR is read-only to the guest");
    }
}

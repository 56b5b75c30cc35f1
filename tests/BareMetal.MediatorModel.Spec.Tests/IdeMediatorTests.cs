using BareMetal.MediatorModel.Spec.Runtime;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>The mediator generated from ide.mspec: task file, LBA48 high-order bytes, bus-master DMA.</summary>
public class IdeMediatorTests
{
    private const int Error = 0x01, SecCount = 0x02, LbaLow = 0x03, LbaMid = 0x04, LbaHigh = 0x05, Device = 0x06, Status = 0x07, DevCtl = 0x08;
    private const int BmiCom = 0x10, BmiSta = 0x12, BmiDtp = 0x14;

    private IGeneratedMediator _m = null!;
    private List<DecodedCommand> _commands = null!;
    private int _interrupts;

    [SetUp]
    public void SetUp()
    {
        _m = GeneratedAssembly.Shipped("ide", new TestMemory());
        _commands = [];
        _interrupts = 0;
        _m.CommandDecoded += (_, c) => _commands.Add(c);
        _m.InterruptRaised += (_, _) => _interrupts++;
    }

    [Test]
    public void ReadDma_DecodedFromTheTaskFile_RunsThroughBusMasterAndInterrupts()
    {
        _m.WriteRegister(BmiDtp, 4, 0x8000);
        _m.WriteRegister(SecCount, 1, 16);
        _m.WriteRegister(LbaLow, 1, 0x44);
        _m.WriteRegister(LbaMid, 1, 0x33);
        _m.WriteRegister(LbaHigh, 1, 0x22);
        _m.WriteRegister(Device, 1, 0xE1);
        _m.WriteRegister(Status, 1, 0xC8); // COMMAND shares the status port

        var c = _commands.Single();
        Assert.That((c.Name, c.Kind, c.Lba, c.Count), Is.EqualTo(("READ_DMA", CommandKind.Read, 0x0122_3344UL, 16UL)));
        Assert.That(_m.ReadRegister(Status, 1), Is.EqualTo(0x80), "BSY");
        Assert.That(_m.StateOf("channel", 0), Is.EqualTo("Command"));

        _m.WriteRegister(BmiCom, 1, 0x09); // START, device-to-memory
        Assert.That(_m.ReadRegister(BmiSta, 1) & 1, Is.EqualTo(1), "ACTIVE");
        Assert.That(_m.StateOf("channel", 0), Is.EqualTo("Dma"));
        Assert.That(_m.AtSafePoint, Is.False);

        _m.Complete(c);

        Assert.That(_interrupts, Is.EqualTo(1));
        Assert.That(_m.ReadRegister(BmiSta, 1) & 0x5, Is.EqualTo(0x4), "INTR set, ACTIVE clear");
        Assert.That(_m.StateOf("channel", 0), Is.EqualTo("Idle"));
        Assert.That(_m.ReadRegister(0x08, 1), Is.EqualTo(0x50), "alternate status does not acknowledge");
        Assert.That(_m.InterruptLine, Is.True);
        Assert.That(_m.ReadRegister(Status, 1), Is.EqualTo(0x50));
        Assert.That(_m.InterruptLine, Is.False, "reading STATUS acknowledged INTRQ");
        _m.WriteRegister(BmiSta, 1, 0x04);
        Assert.That(_m.ReadRegister(BmiSta, 1) & 0x4, Is.Zero, "INTR is write-1-to-clear");
        Assert.That(_m.AtSafePoint, Is.True);
    }

    [Test]
    public void ReadDmaExt_TakesHighOrderBytesFromTheFirstWrites()
    {
        _m.WriteRegister(SecCount, 1, 0x01);
        _m.WriteRegister(SecCount, 1, 0x00);
        _m.WriteRegister(LbaLow, 1, 0x04);
        _m.WriteRegister(LbaLow, 1, 0x01);
        _m.WriteRegister(LbaMid, 1, 0x05);
        _m.WriteRegister(LbaMid, 1, 0x02);
        _m.WriteRegister(LbaHigh, 1, 0x06);
        _m.WriteRegister(LbaHigh, 1, 0x03);
        _m.WriteRegister(Status, 1, 0x25);

        var c = _commands.Single();
        Assert.That((c.Name, c.Lba, c.Count), Is.EqualTo(("READ_DMA_EXT", 0x0605_0403_0201UL, 256UL)));
    }

    [Test]
    public void SoftwareReset_GoesThroughResetAndReportsDiagnosticCode()
    {
        _m.WriteRegister(DevCtl, 1, 0x04);
        Assert.That(_m.StateOf("channel", 0), Is.EqualTo("Reset"));
        Assert.That(_m.AtSafePoint, Is.False);
        _m.WriteRegister(DevCtl, 1, 0x00);
        Assert.That(_m.StateOf("channel", 0), Is.EqualTo("Idle"));
        Assert.That(_m.ReadRegister(Error, 1), Is.EqualTo(0x01));
    }

    [Test]
    public void MaskedInterrupt_DoesNotRaiseTheLine()
    {
        _m.WriteRegister(DevCtl, 1, 0x02); // nIEN
        _m.WriteRegister(Status, 1, 0xE7);
        _m.Complete(_commands.Single());
        Assert.That(_interrupts, Is.Zero);
        Assert.That(_commands[0].Kind, Is.EqualTo(CommandKind.Flush));
    }
}

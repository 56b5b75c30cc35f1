using BareMetal.MediatorModel.Spec.Runtime;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>Guest-visible access semantics of generated register code, one kind at a time.</summary>
public class AccessSemanticsTests
{
    internal const string Spec = """
        device access "every access kind" {
            reg RW   @ 0x00 : 32 rw  reset 0x1234_5678;
            reg RO   @ 0x04 : 32 ro  reset 0xCAFE_F00D;
            reg WO   @ 0x08 : 32 wo;
            reg W1C  @ 0x0C : 32 w1c reset 0xFF;
            reg W1S  @ 0x10 : 32 w1s;
            reg RC   @ 0x14 : 32 rc  reset 0xA5;
            reg MIX  @ 0x18 : 32 rw  reset 0x3100 {
                LOW    [7:0];
                STICKY [8] w1c;
                SET    [9] w1s;
                LOCK   [15:12] ro;
            }
            reg STAT @ 0x20 : 8 ro reset 0x50;
            reg CMD  @ 0x20 : 8 wo;
            reg WIDE @ 0x28 : 64 rw;
            on write CMD { STAT = CMD; }
            safepoint RW == 0;
        }
        """;

    private System.Reflection.Assembly _assembly = null!;
    private string _className = null!;
    private IGeneratedMediator _m = null!;

    [OneTimeSetUp]
    public void CompileOnce()
    {
        var result = SpecCompiler.Compile(Spec, "access.mspec");
        Assert.That(result.Diagnostics, Is.Empty);
        var (asm, problems) = GeneratedAssembly.Compile(result.Outputs!.CSharp, "access");
        Assert.That(problems, Is.Empty);
        _assembly = asm!;
        _className = result.Outputs.ClassName;
    }

    [SetUp]
    public void SetUp() => _m = GeneratedAssembly.Create(_assembly, _className, new TestMemory(4096));

    [Test]
    public void ReadWrite_KeepsWhatTheGuestWrote()
    {
        Assert.That(_m.ReadRegister(0x00, 4), Is.EqualTo(0x1234_5678));
        _m.WriteRegister(0x00, 4, 0xDEAD_BEEF);
        Assert.That(_m.ReadRegister(0x00, 4), Is.EqualTo(0xDEAD_BEEF));
    }

    [Test]
    public void ReadOnly_IgnoresWrites()
    {
        _m.WriteRegister(0x04, 4, 0);
        Assert.That(_m.ReadRegister(0x04, 4), Is.EqualTo(0xCAFE_F00D));
    }

    [Test]
    public void WriteOnly_ReadsZeroButKeepsTheValueForTheDevice()
    {
        _m.WriteRegister(0x08, 4, 0x55);
        Assert.That(_m.ReadRegister(0x08, 4), Is.Zero);
        Assert.That(Peek.Get(_m, "Peek_WO"), Is.EqualTo(0x55));
    }

    [Test]
    public void WriteOneToClear_ClearsOnlyTheBitsWrittenAsOne()
    {
        _m.WriteRegister(0x0C, 4, 0x0F);
        Assert.That(_m.ReadRegister(0x0C, 4), Is.EqualTo(0xF0));
        _m.WriteRegister(0x0C, 4, 0);
        Assert.That(_m.ReadRegister(0x0C, 4), Is.EqualTo(0xF0));
    }

    [Test]
    public void WriteOneToSet_SetsBitsAndZeroWritesChangeNothing()
    {
        _m.WriteRegister(0x10, 4, 0x3);
        _m.WriteRegister(0x10, 4, 0x4);
        _m.WriteRegister(0x10, 4, 0);
        Assert.That(_m.ReadRegister(0x10, 4), Is.EqualTo(0x7));
    }

    [Test]
    public void ClearOnRead_ReturnsTheValueOnceThenZero()
    {
        Assert.That(_m.ReadRegister(0x14, 4), Is.EqualTo(0xA5));
        Assert.That(_m.ReadRegister(0x14, 4), Is.Zero);
        _m.WriteRegister(0x14, 4, 0xFF);
        Assert.That(_m.ReadRegister(0x14, 4), Is.Zero, "rc ignores guest writes");
    }

    [Test]
    public void FieldAccessKinds_OverrideTheRegistersKindBitByBit()
    {
        // LOW rw <- 0xAB, STICKY (w1c) cleared by its 1, SET (w1s) set, LOCK (ro) keeps 3.
        _m.WriteRegister(0x18, 4, 0x0000_F3AB);
        Assert.That(_m.ReadRegister(0x18, 4), Is.EqualTo(0x32AB));
    }

    [Test]
    public void NarrowAccesses_TouchOnlyTheirByteLanes()
    {
        _m.WriteRegister(0x01, 1, 0xEE);
        Assert.That(_m.ReadRegister(0x00, 4), Is.EqualTo(0x1234_EE78));
        Assert.That(_m.ReadRegister(0x02, 2), Is.EqualTo(0x1234));
        _m.WriteRegister(0x2C, 4, 0x1122_3344);
        Assert.That(_m.ReadRegister(0x28, 8), Is.EqualTo(0x1122_3344_0000_0000));
    }

    [Test]
    public void ReadOnlyAndWriteOnlyPair_ShareAnOffset()
    {
        Assert.That(_m.ReadRegister(0x20, 1), Is.EqualTo(0x50));
        _m.WriteRegister(0x20, 1, 0x41);
        Assert.That(_m.ReadRegister(0x20, 1), Is.EqualTo(0x41), "the write went to CMD, whose hook copied it to STAT");
    }

    [Test]
    public void UnmappedOffsets_ReadZeroAndIgnoreWrites()
    {
        _m.WriteRegister(0x40, 4, 0xFFFF_FFFF);
        Assert.That(_m.ReadRegister(0x40, 4), Is.Zero);
        Assert.That(_m.ReadRegister(-4, 4), Is.Zero);
        Assert.That(_m.ReadRegister(int.MaxValue, 8), Is.Zero);
    }

    [Test]
    public void OddWidth_IsRejected()
    {
        Assert.That(() => _m.ReadRegister(0, 3), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Reset_RestoresResetValues()
    {
        _m.WriteRegister(0x00, 4, 0);
        _m.WriteRegister(0x0C, 4, 0xFF);
        _m.Reset();
        Assert.That(_m.ReadRegister(0x00, 4), Is.EqualTo(0x1234_5678));
        Assert.That(_m.ReadRegister(0x0C, 4), Is.EqualTo(0xFF));
    }
}

using BareMetal.MediatorModel.Simulation.Ahci;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.MediatorModel.Tests.Ahci;

public class CommandFisTests
{
    private static readonly AtaCommand[] Io = [AtaCommand.ReadDmaExt, AtaCommand.WriteDmaExt, AtaCommand.ReadFpdmaQueued, AtaCommand.WriteFpdmaQueued];

    [Test]
    public void WriteThenRead_RoundTrips_48BitLbaCountAndTag()
    {
        var gen =
            from c in Gen.Elements(Io)
            from lbaHi in Gen.Choose(0, (1 << 24) - 1)
            from lbaLo in Gen.Choose(0, (1 << 24) - 1)
            from count in Gen.Choose(1, 65535)
            from tag in Gen.Choose(0, 31)
            select new CommandFis(c, ((long)lbaHi << 24) | (uint)lbaLo, count, c is AtaCommand.ReadFpdmaQueued or AtaCommand.WriteFpdmaQueued ? tag : 0);
        Prop.ForAll(gen.ToArbitrary(), fis =>
        {
            var bytes = new byte[CommandFis.Length];
            fis.Write(bytes);
            return CommandFis.Read(bytes) == fis;
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void Read_CountZero_MeansFullRange()
    {
        var bytes = new byte[CommandFis.Length];
        new CommandFis(AtaCommand.ReadDmaExt, 8, 65536, 0).Write(bytes);
        Assert.That(CommandFis.Read(bytes).Sectors, Is.EqualTo(65536));
    }

    [TestCase(new byte[] { 0x34, 0x80, 0x25 }, "not a Register H2D")]
    [TestCase(new byte[] { 0x27, 0x00, 0x25 }, "not a Register H2D")]
    [TestCase(new byte[] { 0x27, 0x80, 0xC8 }, "unsupported ATA command 0xC8")]
    public void Read_BadFis_ThrowsSpecificError(byte[] head, string message)
    {
        var bytes = new byte[CommandFis.Length];
        head.CopyTo(bytes, 0);
        var e = Assert.Throws<AhciProtocolException>(() => CommandFis.Read(bytes));
        Assert.That(e!.Message, Does.Contain(message));
    }

    [Test]
    public void Read_ShortFis_Throws()
    {
        Assert.Throws<AhciProtocolException>(() => CommandFis.Read(new byte[10]));
    }

    [Test]
    public void Fetch_PrdBytesDisagreeWithFis_Throws()
    {
        var memory = new GuestMemory(GuestMemory.PagesFor(1));
        var fis = new CommandFis(AtaCommand.ReadDmaExt, 0, 8, 0);
        CommandTable.Build(memory, GuestMemory.GuestClb, GuestMemory.GuestTables, 3, fis, GuestMemory.GuestBuffer(3), 8192);
        var e = Assert.Throws<AhciProtocolException>(() => CommandTable.Fetch(memory, GuestMemory.GuestClb, 3));
        Assert.That(e!.Message, Does.Contain("PRDs describe 8192 bytes"));
    }

    [Test]
    public void Fetch_ReturnsWhatBuildWrote()
    {
        var memory = new GuestMemory(0);
        var fis = new CommandFis(AtaCommand.WriteFpdmaQueued, 123456, 16, 5);
        CommandTable.Build(memory, GuestMemory.GuestClb, GuestMemory.GuestTables, 5, fis, GuestMemory.GuestBuffer(5), 16 * 512);
        var decoded = CommandTable.Fetch(memory, GuestMemory.GuestClb, 5);
        Assert.That(decoded, Is.EqualTo(new DecodedCommand(5, fis, GuestMemory.GuestBuffer(5), 16 * 512)));
    }
}

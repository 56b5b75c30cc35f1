using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Session;
using BareMetal.ImageStore.Nbd.Wire;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Nbd.Tests;

/// <summary>
/// Every option with the default (empty) export name, as `baremetal export FILE` serves it: one export
/// under "disk" and "". Issue 16: libnbd and qemu (nbd://HOST:PORT) send OPT_SET_META_CONTEXT "" then
/// OPT_GO "", and block status must follow the export, not the string.
/// </summary>
public class DefaultExportNameHandshakeTests
{
    private TempDir _dir = null!;
    private FileExportProvider _exports = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("nbd-default");
        var disk = TestDisks.OpenRaw(TestDisks.CreateSparse(_dir.File("disk.raw"), 1 << 20), writable: true);
        _exports = new FileExportProvider(disk, readOnly: false, ["disk", ""], "disk.raw");
    }

    [TearDown]
    public void TearDown()
    {
        _exports.Dispose();
        _dir.Dispose();
    }

    private static List<(uint Option, uint Type, byte[] Data)> Handle(NbdHandshake hs, uint option, byte[] data, HandshakeOutcome expected = HandshakeOutcome.Continue)
    {
        var w = new ArrayBufferWriter<byte>();
        Assert.That(hs.Handle(option, data, w), Is.EqualTo(expected));
        return HandshakeTests.Replies(w);
    }

    private static NbdHandshake Structured(IExportProvider exports)
    {
        var hs = new NbdHandshake(exports);
        Assert.That(Handle(hs, NbdProtocol.OptStructuredReply, []).Single().Type, Is.EqualTo(NbdProtocol.RepAck));
        return hs;
    }

    /// <summary>OPT_SET_META_CONTEXT base:allocation for <paramref name="name"/>; asserts it was selected.</summary>
    private static void SelectBaseAllocation(NbdHandshake hs, string name)
    {
        var r = Handle(hs, NbdProtocol.OptSetMetaContext, TestClient.MetaRequest(name, NbdProtocol.BaseAllocation));
        Assert.That(r.Select(x => x.Type), Is.EqualTo(new[] { NbdProtocol.RepMetaContext, NbdProtocol.RepAck }));
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(r[0].Data), Is.EqualTo(NbdProtocol.BaseAllocationId));
    }

    private static void Go(NbdHandshake hs, string name) =>
        Assert.That(Handle(hs, NbdProtocol.OptGo, TestClient.InfoRequest(name), HandshakeOutcome.Transmit)[^1].Type, Is.EqualTo(NbdProtocol.RepAck));

    [Test]
    public void Info_DefaultName_DescribesTheNamedExportAndStaysInNegotiation()
    {
        var hs = new NbdHandshake(_exports);
        var r = Handle(hs, NbdProtocol.OptInfo, TestClient.InfoRequest("", NbdProtocol.InfoName, NbdProtocol.InfoDescription));
        Assert.That(r[^1].Type, Is.EqualTo(NbdProtocol.RepAck));
        var infos = r.SkipLast(1).ToDictionary(x => BinaryPrimitives.ReadUInt16BigEndian(x.Data), x => x.Data);
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(infos[NbdProtocol.InfoExport].AsSpan(2)), Is.EqualTo(1UL << 20));
        Assert.That(BinaryPrimitives.ReadUInt16BigEndian(infos[NbdProtocol.InfoExport].AsSpan(10)) & NbdProtocol.TxReadOnly, Is.Zero);
        // NBD_INFO_NAME is the canonical name, which may differ from the one asked for.
        Assert.That(Encoding.UTF8.GetString(infos[NbdProtocol.InfoName].AsSpan(2)), Is.EqualTo("disk"));
        Assert.That(Encoding.UTF8.GetString(infos[NbdProtocol.InfoDescription].AsSpan(2)), Is.EqualTo("disk.raw"));
        Assert.That(hs.Export, Is.Null);
    }

    [Test]
    public void Go_DefaultName_ChoosesTheNamedExport()
    {
        var hs = new NbdHandshake(_exports);
        Go(hs, "");
        Assert.That(hs.Export, Is.SameAs(_exports.Export));
        Assert.That(hs.BaseAllocation, Is.False, "nothing was selected");
    }

    [Test]
    public void List_ShowsTheNamedExportOnlyAndEveryListedNameOpensIt()
    {
        var r = Handle(new NbdHandshake(_exports), NbdProtocol.OptList, []);
        Assert.That(r.Select(x => x.Type), Is.EqualTo(new[] { NbdProtocol.RepServer, NbdProtocol.RepAck }));
        var nameLen = (int)BinaryPrimitives.ReadUInt32BigEndian(r[0].Data);
        var listed = Encoding.UTF8.GetString(r[0].Data, 4, nameLen);
        Assert.That(listed, Is.EqualTo("disk"), "the default name is an alias, not a second export");
        Assert.That(Encoding.UTF8.GetString(r[0].Data.AsSpan(4 + nameLen)), Is.EqualTo("disk.raw"));
        Assert.That(_exports.Find(listed), Is.SameAs(_exports.Find("")));
    }

    [TestCase(null)]
    [TestCase("base:")]
    [TestCase(NbdProtocol.BaseAllocation)]
    public void ListMetaContext_DefaultName_ListsBaseAllocationAndSelectsNothing(string? query)
    {
        var hs = Structured(_exports);
        var r = Handle(hs, NbdProtocol.OptListMetaContext, query is null ? TestClient.MetaRequest("") : TestClient.MetaRequest("", query));
        Assert.That(r.Select(x => x.Type), Is.EqualTo(new[] { NbdProtocol.RepMetaContext, NbdProtocol.RepAck }));
        Assert.That(Encoding.UTF8.GetString(r[0].Data.AsSpan(4)), Is.EqualTo(NbdProtocol.BaseAllocation));
        Go(hs, "");
        Assert.That(hs.BaseAllocation, Is.False, "LIST must not select");
    }

    [TestCase("", "")]
    [TestCase("", "disk")]
    [TestCase("disk", "")]
    [TestCase("disk", "disk")]
    public void SetMetaContext_ThenGo_AnyNameOfTheSameExport_EnablesBlockStatus(string setName, string goName)
    {
        var hs = Structured(_exports);
        SelectBaseAllocation(hs, setName);
        Go(hs, goName);
        Assert.That(hs.BaseAllocation, Is.True);
    }

    [Test]
    public void SetMetaContext_ThenInfo_ThenGo_DefaultName_EnablesBlockStatus()
    {
        // Options that select nothing (INFO, LIST, LIST_META_CONTEXT) leave the selection as it was.
        var hs = Structured(_exports);
        SelectBaseAllocation(hs, "");
        Handle(hs, NbdProtocol.OptInfo, TestClient.InfoRequest(""));
        Handle(hs, NbdProtocol.OptList, []);
        Handle(hs, NbdProtocol.OptListMetaContext, TestClient.MetaRequest("disk"));
        Go(hs, "");
        Assert.That(hs.BaseAllocation, Is.True);
    }

    [TestCase("a", "b")]
    [TestCase("", "b")]
    [TestCase("b", "")]
    [TestCase("b", "a")]
    public void SetMetaContext_ForOneExport_ThenGoToAnother_DoesNotEnableBlockStatus(string setName, string goName)
    {
        var a = new NbdExport("a", _exports.Export.Disk, readOnly: true);
        using var otherDisk = TestDisks.OpenRaw(TestDisks.CreateSparse(_dir.File("b.raw"), 1 << 20), writable: false);
        var b = new NbdExport("b", otherDisk, readOnly: true);
        var hs = Structured(new NamedExports().Add(a, "a", "").Add(b, "b"));
        SelectBaseAllocation(hs, setName);
        Go(hs, goName);
        Assert.That(hs.Export!.Name, Is.EqualTo(goName == "" ? "a" : goName));
        Assert.That(hs.BaseAllocation, Is.False);
    }

    [Test]
    public void SetMetaContext_ThenOverlayResetBeforeGo_KeepsBlockStatusForTheReopenedExport()
    {
        // A reset between the two options reopens the export as a new instance under the same name: the
        // client did everything right, so block status must stay on.
        using var overlays = new OverlayExportProvider(_dir.File("overlays"));
        overlays.AddBase("img", TestDisks.CreateSparse(_dir.File("img.raw"), 1 << 20));
        var hs = Structured(overlays);
        SelectBaseAllocation(hs, "img@node1");
        var before = overlays.Find("img@node1");
        Assert.That(overlays.Reset("img@node1"), Is.True);
        Go(hs, "img@node1");
        Assert.That(hs.Export, Is.Not.SameAs(before));
        Assert.That(hs.BaseAllocation, Is.True);
    }

    [Test]
    public void SetMetaContext_ThatFails_DropsTheEarlierSelection()
    {
        // proto.md: SET "replaces all previously-set metadata contexts (including when this command fails)".
        var hs = Structured(_exports);
        SelectBaseAllocation(hs, "disk");
        Assert.That(Handle(hs, NbdProtocol.OptSetMetaContext, TestClient.MetaRequest("nope", NbdProtocol.BaseAllocation)).Single().Type, Is.EqualTo(NbdProtocol.RepErrUnknown));
        Go(hs, "disk");
        Assert.That(hs.BaseAllocation, Is.False);
    }

    [Test]
    public void SetMetaContext_Malformed_DropsTheEarlierSelection()
    {
        var hs = Structured(_exports);
        SelectBaseAllocation(hs, "disk");
        Assert.That(Handle(hs, NbdProtocol.OptSetMetaContext, [0, 0, 0, 9]).Single().Type, Is.EqualTo(NbdProtocol.RepErrInvalid));
        Go(hs, "");
        Assert.That(hs.BaseAllocation, Is.False);
    }

    [Test]
    public void SetMetaContext_SelectingNothing_DropsTheEarlierSelection()
    {
        var hs = Structured(_exports);
        SelectBaseAllocation(hs, "");
        Assert.That(Handle(hs, NbdProtocol.OptSetMetaContext, TestClient.MetaRequest("", "x-other:thing")).Single().Type, Is.EqualTo(NbdProtocol.RepAck));
        Go(hs, "");
        Assert.That(hs.BaseAllocation, Is.False);
    }

    [TestCase("")]
    [TestCase("disk")]
    public void ExportName_DefaultName_AfterSetMetaContext_EnablesBlockStatus(string setName)
    {
        var hs = Structured(_exports);
        SelectBaseAllocation(hs, setName);
        var w = new ArrayBufferWriter<byte>();
        Assert.That(hs.Handle(NbdProtocol.OptExportName, [], w), Is.EqualTo(HandshakeOutcome.Transmit));
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(w.WrittenSpan), Is.EqualTo(1UL << 20));
        Assert.That(hs.Export, Is.SameAs(_exports.Export));
        Assert.That(hs.BaseAllocation, Is.True);
    }

    [Test]
    public void ExportName_DefaultName_WithoutSetMetaContext_LeavesBlockStatusOff()
    {
        var hs = Structured(_exports);
        Assert.That(hs.Handle(NbdProtocol.OptExportName, [], new ArrayBufferWriter<byte>()), Is.EqualTo(HandshakeOutcome.Transmit));
        Assert.That(hs.Export, Is.SameAs(_exports.Export));
        Assert.That(hs.BaseAllocation, Is.False);
    }
}

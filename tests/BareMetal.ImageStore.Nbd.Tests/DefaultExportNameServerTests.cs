using System.Buffers.Binary;
using System.Net;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Server;
using BareMetal.ImageStore.Nbd.Wire;
using BareMetal.TestSupport;

namespace BareMetal.ImageStore.Nbd.Tests;

/// <summary>
/// Every transmission command on a connection opened with the default (empty) export name, over real
/// loopback sockets, against a writable export named "disk" and "" as `baremetal export FILE` serves it.
/// </summary>
public class DefaultExportNameServerTests
{
    private const long Size = 16 << 20;
    private TempDir _dir = null!;
    private string _path = null!;
    private FileExportProvider _exports = null!;
    private NbdServer _server = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("nbd-default-srv");
        _path = TestDisks.CreateSparse(_dir.File("disk.raw"), Size);
        _exports = new FileExportProvider(TestDisks.OpenRaw(_path, writable: true), readOnly: false, ["disk", ""]);
        _server = new NbdServer(_exports);
        _server.Start(new IPEndPoint(IPAddress.Loopback, 0));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _server.DisposeAsync();
        _exports.Dispose();
        _dir.Dispose();
    }

    /// <summary>The sparse test disk's map: holes read as zeros (HOLE|ZERO = 3) around its two data runs.</summary>
    private static readonly (uint Length, uint Flags)[] SparseMap =
    [
        (1u << 20, 3u), (196608u, 0u), ((8u << 20) - 196608u, 3u), (4096u, 0u), ((7u << 20) - 4096u, 3u),
    ];

    private static (uint Length, uint Flags)[] Extents(TestClient.Reply r)
    {
        Assert.That(r.Error, Is.Zero, "BLOCK_STATUS failed");
        var (type, payload) = r.Chunks.Single();
        Assert.That(type, Is.EqualTo(NbdProtocol.ReplyTypeBlockStatus));
        Assert.That(BinaryPrimitives.ReadUInt32BigEndian(payload), Is.EqualTo(NbdProtocol.BaseAllocationId));
        return [.. Enumerable.Range(0, (payload.Length - 4) / 8)
            .Select(i => (BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(4 + 8 * i)), BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(8 + 8 * i))))];
    }

    private static TestClient.Reply Request(TestClient c, ushort type, ulong offset, uint length, ushort flags = 0, byte[]? payload = null, ulong handle = 7)
    {
        c.SendRequest(type, offset, length, handle, flags, payload);
        var r = c.ReadReply((long)offset, type == NbdProtocol.CmdRead ? (int)length : 0);
        Assert.That(r.Handle, Is.EqualTo(handle));
        return r;
    }

    [Test]
    public void Go_DefaultName_EveryCommandWorks()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        c.Connect("");
        Assert.That(c.Size, Is.EqualTo(Size));
        var want = NbdProtocol.TxSendFlush | NbdProtocol.TxSendFua | NbdProtocol.TxSendTrim | NbdProtocol.TxSendWriteZeroes | NbdProtocol.TxSendCache;
        Assert.That(c.TransmissionFlags & (want | NbdProtocol.TxReadOnly), Is.EqualTo(want));

        Assert.That(Extents(Request(c, NbdProtocol.CmdBlockStatus, 0, (uint)Size)), Is.EqualTo(SparseMap));
        Assert.That(Extents(Request(c, NbdProtocol.CmdBlockStatus, 0, (uint)Size, NbdProtocol.CmdFlagReqOne)), Is.EqualTo(new[] { SparseMap[0] }));

        var read = Request(c, NbdProtocol.CmdRead, (1 << 20) - 512, 1024);
        Assert.That(read.Error, Is.Zero);
        Assert.That(read.Data, Is.EqualTo(new byte[512].Concat(Enumerable.Repeat((byte)0x5a, 512))));

        var data = Enumerable.Repeat((byte)0x42, 4096).ToArray();
        Assert.That(Request(c, NbdProtocol.CmdWrite, 8192, 4096, NbdProtocol.CmdFlagFua, data).Error, Is.Zero);
        Assert.That(Request(c, NbdProtocol.CmdRead, 8192, 4096).Data, Is.EqualTo(data));
        Assert.That(Request(c, NbdProtocol.CmdFlush, 0, 0).Error, Is.Zero);
        Assert.That(Extents(Request(c, NbdProtocol.CmdBlockStatus, 8192, 4096))[0].Flags & NbdProtocol.StateHole, Is.Zero, "the write is allocated");

        Assert.That(Request(c, NbdProtocol.CmdWriteZeroes, 8192, 2048).Error, Is.Zero);
        Assert.That(Request(c, NbdProtocol.CmdRead, 8192, 4096).Data, Is.EqualTo(new byte[2048].Concat(data.Take(2048))));
        Assert.That(Request(c, NbdProtocol.CmdTrim, 1 << 20, 65536).Error, Is.Zero);
        Assert.That(Request(c, NbdProtocol.CmdCache, 0, 65536).Error, Is.Zero);
        Assert.That(Request(c, NbdProtocol.CmdFlush, 0, 0).Error, Is.Zero);

        c.SendRequest(NbdProtocol.CmdDisc, 0, 0, handle: 8);
        Assert.That(c.IsClosedByServer(), Is.True, "DISC ends the connection");
        var file = File.ReadAllBytes(_path);
        Assert.That(file.AsSpan(8192, 4096).ToArray(), Is.EqualTo(new byte[2048].Concat(data.Take(2048))), "the writes reached the file");
    }

    [Test]
    public void ExportName_DefaultName_BlockStatusAndReadsWork()
    {
        using var c = new TestClient(_server.LocalEndPoint);
        c.Greet();
        c.SendOption(NbdProtocol.OptStructuredReply, []);
        Assert.That(c.ReadOptionReply().Type, Is.EqualTo(NbdProtocol.RepAck));
        c.SendOption(NbdProtocol.OptSetMetaContext, TestClient.MetaRequest("", NbdProtocol.BaseAllocation));
        Assert.That(c.ReadOptionReply().Type, Is.EqualTo(NbdProtocol.RepMetaContext));
        Assert.That(c.ReadOptionReply().Type, Is.EqualTo(NbdProtocol.RepAck));
        c.SendOption(NbdProtocol.OptExportName, []);
        var reply = c.ReadExactly(10);
        Assert.That(BinaryPrimitives.ReadUInt64BigEndian(reply), Is.EqualTo((ulong)Size));

        Assert.That(Extents(Request(c, NbdProtocol.CmdBlockStatus, 0, (uint)Size)), Is.EqualTo(SparseMap));
        Assert.That(Request(c, NbdProtocol.CmdRead, 9 << 20, 4096).Data, Is.All.EqualTo((byte)0x01));
        c.SendRequest(NbdProtocol.CmdDisc, 0, 0, handle: 8);
        Assert.That(c.IsClosedByServer(), Is.True);
    }

    [Test]
    public async Task Go_DefaultName_AfterMetaContextForAnotherExport_BlockStatusIsEinvalAndConnectionStays()
    {
        using var otherDisk = TestDisks.OpenRaw(TestDisks.CreateSparse(_dir.File("other.raw"), Size), writable: false);
        var exports = new NamedExports().Add(_exports.Export, "disk", "").Add(new NbdExport("other", otherDisk, readOnly: true), "other");
        await using var server = new NbdServer(exports);
        server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        using var c = new TestClient(server.LocalEndPoint);
        c.Greet();
        c.SendOption(NbdProtocol.OptStructuredReply, []);
        Assert.That(c.ReadOptionReply().Type, Is.EqualTo(NbdProtocol.RepAck));
        c.SendOption(NbdProtocol.OptSetMetaContext, TestClient.MetaRequest("other", NbdProtocol.BaseAllocation));
        Assert.That(c.ReadOptionReply().Type, Is.EqualTo(NbdProtocol.RepMetaContext));
        Assert.That(c.ReadOptionReply().Type, Is.EqualTo(NbdProtocol.RepAck));
        c.SendOption(NbdProtocol.OptGo, TestClient.InfoRequest(""));
        while (c.ReadOptionReply().Type != NbdProtocol.RepAck)
        {
        }
        Assert.That(Request(c, NbdProtocol.CmdBlockStatus, 0, 4096).Error, Is.EqualTo(NbdProtocol.EINVAL));
        Assert.That(Request(c, NbdProtocol.CmdRead, 1 << 20, 4096).Data, Is.All.EqualTo((byte)0x5a));
    }
}

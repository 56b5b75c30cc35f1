using System.Net;
using BareMetal.Pxe.Tftp.Session;
using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tests.Tftp;

public class DuplicateRequestsTests
{
    private static readonly IPEndPoint Client = new(IPAddress.Parse("10.0.0.7"), 2070);
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private static TftpRequest Rrq(string file, params TftpOption[] options) => new(TftpOpcode.ReadRequest, file, TftpMode.Octet, options);

    private static string Key(TftpRequest request, IPEndPoint? client = null) => DuplicateRequests<object>.KeyOf(client ?? Client, request);

    [Test]
    public void SameRequestFromSamePort_WithinTheWindow_IsTheRunningTransfers()
    {
        var requests = new DuplicateRequests<object>(Window);
        var running = new object();
        var key = Key(Rrq("undionly.kpxe", new TftpOption("tsize", "0")));
        Assert.That(requests.RepeatOf(key, TimeSpan.FromSeconds(10)), Is.Null);
        requests.Begin(key, running, TimeSpan.FromSeconds(10));
        Assert.That(requests.RepeatOf(key, TimeSpan.FromSeconds(10.2)), Is.SameAs(running));
        Assert.That(requests.RepeatOf(Key(Rrq("undionly.kpxe", new TftpOption("TSIZE", "0"))), TimeSpan.FromSeconds(10.9)), Is.SameAs(running), "option names compare case-insensitively");
    }

    [Test]
    public void SameRequest_AfterTheWindow_IsNew()
    {
        var requests = new DuplicateRequests<object>(Window);
        var key = Key(Rrq("undionly.kpxe"));
        requests.Begin(key, new object(), TimeSpan.FromSeconds(10));
        Assert.That(requests.RepeatOf(key, TimeSpan.FromSeconds(11)), Is.Null);
    }

    [Test]
    public void OtherPortFileOrOptions_AreNewRequests()
    {
        var requests = new DuplicateRequests<object>(Window);
        requests.Begin(Key(Rrq("undionly.kpxe", new TftpOption("tsize", "0"))), new object(), TimeSpan.Zero);
        var now = TimeSpan.FromMilliseconds(100);
        Assert.Multiple(() =>
        {
            Assert.That(requests.RepeatOf(Key(Rrq("undionly.kpxe", new TftpOption("tsize", "0")), new IPEndPoint(Client.Address, 2071)), now), Is.Null, "another port is another client");
            Assert.That(requests.RepeatOf(Key(Rrq("undionly.kpxe", new TftpOption("tsize", "0")), new IPEndPoint(IPAddress.Parse("10.0.0.8"), 2070)), now), Is.Null, "another address");
            Assert.That(requests.RepeatOf(Key(Rrq("ipxe.efi", new TftpOption("tsize", "0"))), now), Is.Null, "another file");
            // A PXE ROM's second request after its tsize probe differs in its options: never merged into the probe.
            Assert.That(requests.RepeatOf(Key(Rrq("undionly.kpxe", new TftpOption("blksize", "1456"))), now), Is.Null, "other options");
            Assert.That(requests.RepeatOf(Key(new TftpRequest(TftpOpcode.ReadRequest, "undionly.kpxe", TftpMode.Netascii, [new("tsize", "0")])), now), Is.Null, "another mode");
        });
    }

    [Test]
    public void EndedTransfer_IsForgotten_ButOnlyByItsOwner()
    {
        var requests = new DuplicateRequests<object>(Window);
        var key = Key(Rrq("grub.cfg"));
        var first = new object();
        var second = new object();
        requests.Begin(key, first, TimeSpan.Zero);
        requests.Begin(key, second, TimeSpan.FromSeconds(5));
        requests.End(key, first);
        Assert.That(requests.RepeatOf(key, TimeSpan.FromSeconds(5.5)), Is.SameAs(second), "a stale owner's end leaves the newer transfer");
        requests.End(key, second);
        Assert.That((requests.RepeatOf(key, TimeSpan.FromSeconds(5.5)), requests.Count), Is.EqualTo(((object?)null, 0)));
    }
}

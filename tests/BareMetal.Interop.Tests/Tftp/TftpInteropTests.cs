using System.Globalization;
using System.Net;
using BareMetal.Pxe.Tftp.Server;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Tftp;

/// <summary>
/// Our TFTP server on 127.0.0.1 (ephemeral port) against the Debian clients: tftp-hpa, curl, atftp,
/// busybox. Content is compared by SHA-256; errors are checked as each client reports them.
/// </summary>
[NonParallelizable]
public class TftpInteropTests
{
    /// <summary>Just over 32 MiB: at 512-byte blocks that is 65536 + 2048 blocks, so block numbers wrap.</summary>
    private const int BigSize = (32 << 20) + (1 << 20) + 123;

    private TempDir _root = null!;
    private TempDir _outside = null!;
    private TempDir _out = null!;
    private TftpServer _server = null!;
    private string _port = "";

    [OneTimeSetUp]
    public async Task StartServer()
    {
        _root = new TempDir("tftp-root");
        _outside = new TempDir("tftp-outside");
        _out = new TempDir("tftp-out");
        var rng = new Random(42);
        var small = new byte[200_000];
        rng.NextBytes(small);
        await File.WriteAllBytesAsync(_root.File("small.bin"), small);
        var big = new byte[BigSize];
        rng.NextBytes(big);
        await File.WriteAllBytesAsync(_root.File("big.bin"), big);
        Directory.CreateDirectory(_root.File("boot"));
        File.Copy(_root.File("small.bin"), _root.File("boot/ipxe.efi"));
        await File.WriteAllTextAsync(_outside.File("secret"), "secret");
        File.CreateSymbolicLink(_root.File("escape"), _outside.File("secret"));
        _server = new TftpServer(new TftpServerOptions { Root = _root.Path }, new LineLogger("tftp: "));
        await _server.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), CancellationToken.None);
        _port = _server.LocalEndPoint!.Port.ToString(CultureInfo.InvariantCulture);
    }

    [OneTimeTearDown]
    public async Task StopServer()
    {
        await _server.DisposeAsync();
        _root.Dispose();
        _outside.Dispose();
        _out.Dispose();
    }

    private string Out(string name)
    {
        var path = _out.File(name);
        File.Delete(path);
        return path;
    }

    private void AssertSame(string served, string received)
        => Assert.That(Hash.Sha256File(received), Is.EqualTo(Hash.Sha256File(_root.File(served))), $"{received} differs from {served}");

    [Test]
    public void TftpHpa_Get512ByteBlocks_MatchesSha256()
    {
        var tftp = Peer.Require("tftp", "tftp-hpa");
        var o = Out("hpa.bin");
        var r = Peer.Run(tftp, ["127.0.0.1", _port, "-m", "binary", "-c", "get", "small.bin", o], TimeSpan.FromSeconds(60));
        Assert.That(r.StdOut + r.StdErr, Does.Not.Contain("Error"));
        AssertSame("small.bin", o);
    }

    [Test]
    public void TftpHpa_LeadingSlashAndSubdirectory_AreServedFromRoot()
    {
        var tftp = Peer.Require("tftp", "tftp-hpa");
        var o = Out("hpa-efi.bin");
        Peer.Check(tftp, "127.0.0.1", _port, "-m", "binary", "-c", "get", "/boot/ipxe.efi", o);
        AssertSame("boot/ipxe.efi", o);
    }

    [TestCase(1468)]
    [TestCase(8192)]
    public void Curl_NegotiatedBlockSize_MatchesSha256(int blksize)
    {
        var curl = Peer.Require("curl", "curl");
        var o = Out($"curl-{blksize}.bin");
        Peer.Check(curl, "-s", "--max-time", "60", "--tftp-blksize", blksize.ToString(CultureInfo.InvariantCulture), $"tftp://127.0.0.1:{_port}/small.bin", "-o", o);
        AssertSame("small.bin", o);
    }

    [Test]
    public void Curl_Over32MiBAt512_WrapsBlockNumbers_AndMatchesSha256()
    {
        var curl = Peer.Require("curl", "curl");
        var o = Out("curl-big.bin");
        Peer.Check(curl, "-s", "--max-time", "120", "--tftp-blksize", "512", $"tftp://127.0.0.1:{_port}/big.bin", "-o", o);
        Assert.That(new FileInfo(o).Length, Is.EqualTo(BigSize));
        AssertSame("big.bin", o);
    }

    [Test]
    public void Atftp_BlksizeAndWindowsize_AreAcknowledged_AndContentMatches()
    {
        var atftp = Peer.Require("atftp", "atftp");
        var o = Out("atftp.bin");
        var r = Peer.Run(atftp, ["--trace", "--option", "blksize 1468", "--option", "windowsize 16", "-g", "-r", "big.bin", "-l", o, "127.0.0.1", _port], TimeSpan.FromSeconds(120));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        var oack = (r.StdOut + r.StdErr).Split('\n').First(l => l.Contains("received OACK", StringComparison.Ordinal));
        Assert.That(oack, Does.Contain("windowsize: 16").And.Contain("blksize: 1468"));
        AssertSame("big.bin", o);
    }

    [Test]
    public void Busybox_Blocksize1468_MatchesSha256()
    {
        var busybox = Peer.Require("busybox", "busybox");
        var o = Out("bb.bin");
        Peer.Check(busybox, "tftp", "-g", "-r", "small.bin", "-l", o, "-b", "1468", "127.0.0.1", _port);
        AssertSame("small.bin", o);
    }

    [Test]
    public void Curl_MissingFile_IsTftpError1()
    {
        var curl = Peer.Require("curl", "curl");
        var r = Peer.Run(curl, ["-s", "--max-time", "30", $"tftp://127.0.0.1:{_port}/no-such-file", "-o", Out("missing")]);
        Assert.That(r.ExitCode, Is.EqualTo(68), "curl's CURLE_TFTP_NOTFOUND is TFTP error 1");
    }

    [Test]
    public void TftpHpa_MissingFile_IsErrorCode1()
    {
        var tftp = Peer.Require("tftp", "tftp-hpa");
        var r = Peer.Run(tftp, ["127.0.0.1", _port, "-m", "binary", "-c", "get", "no-such-file", Out("missing-hpa")], TimeSpan.FromSeconds(60));
        Assert.That(r.StdOut + r.StdErr, Does.Contain("Error code 1"));
    }

    [TestCase("../etc/passwd", 69)]
    [TestCase("..%5c..%5cetc%5cpasswd", 69)]
    [TestCase("escape", 69)]
    [TestCase("/etc/passwd", 68)]
    public void Curl_PathEscape_IsRefused(string path, int curlExit)
    {
        var curl = Peer.Require("curl", "curl");
        var o = Out("escape.out");
        var r = Peer.Run(curl, ["-s", "--max-time", "30", "--path-as-is", $"tftp://127.0.0.1:{_port}/{path}", "-o", o]);
        // 69 is CURLE_TFTP_PERM (TFTP error 2); 68 is "not found": /etc/passwd means ROOT/etc/passwd.
        Assert.That(r.ExitCode, Is.EqualTo(curlExit));
        Assert.That(File.Exists(o) ? File.ReadAllText(o) : "", Does.Not.Contain("root:").And.Not.Contain("secret"));
    }

    [TestCase("../../../../etc/passwd", "Error code 2")]
    [TestCase("escape", "Error code 2")]
    public void TftpHpa_PathEscape_IsRefused(string path, string error)
    {
        var tftp = Peer.Require("tftp", "tftp-hpa");
        var o = Out("escape-hpa.out");
        var r = Peer.Run(tftp, ["127.0.0.1", _port, "-m", "binary", "-c", "get", path, o], TimeSpan.FromSeconds(60));
        Assert.That(r.StdOut + r.StdErr, Does.Contain(error));
        Assert.That(File.Exists(o) ? File.ReadAllText(o) : "", Does.Not.Contain("root:").And.Not.Contain("secret"));
    }

    [Test]
    public async Task TransferEnded_ReportsClientFileAndBytes()
    {
        var busybox = Peer.Require("busybox", "busybox");
        var ended = new TaskCompletionSource<TftpTransferEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnEnded(object? sender, TftpTransferEventArgs e) => ended.TrySetResult(e);
        _server.TransferEnded += OnEnded;
        try
        {
            var completedBefore = _server.Counters.TransfersCompleted;
            Peer.Check(busybox, "tftp", "-g", "-r", "boot/ipxe.efi", "-l", Out("bb2.bin"), "127.0.0.1", _port);
            var e = await ended.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That((e.Path, e.Outcome, e.Length, e.Client.Address), Is.EqualTo(("boot/ipxe.efi", TftpTransferOutcome.Completed, 200_000L, IPAddress.Loopback)));
            Assert.That(_server.Counters.TransfersCompleted, Is.GreaterThan(completedBefore));
        }
        finally
        {
            _server.TransferEnded -= OnEnded;
        }
    }
}

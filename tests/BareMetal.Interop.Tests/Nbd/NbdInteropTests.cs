using System.Diagnostics;
using System.Text.Json;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Raw;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Nbd;

/// <summary>Our NBD server against real clients: libnbd's nbdinfo/nbdcopy/nbdsh, qemu-img and qemu-io.</summary>
public class NbdInteropTests
{
    internal static string Image(TempDir dir, string name = "src.raw")
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var path = dir.File(name);
        Peer.Check(qemuImg, "create", "-f", "raw", path, "32M");
        Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0x5a 1M 192k", "-c", "write -P 0x01 9M 4k", "-c", "write -P 0x77 31M 1M", path);
        return path;
    }

    private static FileExportProvider ReadOnly(string path, string name = "disk") =>
        new(new RawDisk(FileSource.Open(path), ImageFormat.Raw), readOnly: true, [name, ""], "interop disk");

    private static FileExportProvider Writable(string path, string name = "disk") =>
        new(DiskImage.Open(path, new OpenOptions { Writable = true }), readOnly: false, [name, ""]);

    [Test]
    public async Task NbdInfo_ShowsSizeFlagsAndBlockSizes()
    {
        var nbdinfo = Peer.Require("nbdinfo", "libnbd-bin");
        using var dir = new TempDir();
        using var exports = ReadOnly(Image(dir));
        await using var server = await NbdTestServer.StartAsync(exports);
        var json = JsonDocument.Parse(Peer.Check(nbdinfo, "--json", server.Uri("disk")));
        var e = json.RootElement.GetProperty("exports")[0];
        Assert.That(json.RootElement.GetProperty("protocol").GetString(), Is.EqualTo("newstyle-fixed"));
        Assert.That(json.RootElement.GetProperty("TLS").GetBoolean(), Is.False);
        Assert.That(e.GetProperty("export-size").GetInt64(), Is.EqualTo(32 << 20));
        Assert.That(e.GetProperty("is_read_only").GetBoolean(), Is.True);
        Assert.That(e.GetProperty("can_multi_conn").GetBoolean(), Is.True);
        Assert.That(e.GetProperty("block_size_minimum").GetInt64(), Is.EqualTo(512));
        Assert.That(e.GetProperty("block_size_maximum").GetInt64(), Is.EqualTo(32 << 20));
        Assert.That(e.GetProperty("description").GetString(), Is.EqualTo("interop disk"));
    }

    [Test]
    public async Task NbdInfoList_ShowsTheExport()
    {
        var nbdinfo = Peer.Require("nbdinfo", "libnbd-bin");
        using var dir = new TempDir();
        using var exports = ReadOnly(Image(dir));
        await using var server = await NbdTestServer.StartAsync(exports);
        var json = JsonDocument.Parse(Peer.Check(nbdinfo, "--json", "--list", server.Uri("")));
        var names = json.RootElement.GetProperty("exports").EnumerateArray().Select(x => x.GetProperty("export-name").GetString()).ToList();
        Assert.That(names, Is.EqualTo(new[] { "disk" }));
    }

    /// <summary>(start, length, data, zero) runs with neighbours of equal meaning merged.</summary>
    internal static List<(long Start, long Length, bool Data, bool Zero)> Normalise(IEnumerable<(long Start, long Length, bool Data, bool Zero)> runs)
    {
        var list = new List<(long Start, long Length, bool Data, bool Zero)>();
        foreach (var r in runs)
        {
            if (list.Count > 0 && list[^1].Data == r.Data && list[^1].Zero == r.Zero)
            {
                list[^1] = list[^1] with { Length = list[^1].Length + r.Length };
            }
            else
            {
                list.Add(r);
            }
        }
        return list;
    }

    [Test]
    public async Task NbdInfoMap_EqualsQemuImgMap()
    {
        var nbdinfo = Peer.Require("nbdinfo", "libnbd-bin");
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var path = Image(dir);
        using var exports = ReadOnly(path);
        await using var server = await NbdTestServer.StartAsync(exports);
        var ours = JsonDocument.Parse(Peer.Check(nbdinfo, "--map", "--json", server.Uri("disk"))).RootElement.EnumerateArray()
            .Select(x => (x.GetProperty("offset").GetInt64(), x.GetProperty("length").GetInt64(), (x.GetProperty("type").GetInt32() & 1) == 0, (x.GetProperty("type").GetInt32() & 2) != 0));
        var theirs = JsonDocument.Parse(Peer.Check(qemuImg, "map", "--output=json", "-f", "raw", path)).RootElement.EnumerateArray()
            .Select(x => (x.GetProperty("start").GetInt64(), x.GetProperty("length").GetInt64(), x.GetProperty("data").GetBoolean(), x.GetProperty("zero").GetBoolean()));
        var expected = Normalise(theirs);
        Assert.That(Normalise(ours), Is.EqualTo(expected));
        Assert.That(expected, Has.Count.GreaterThan(3), "the image must have holes and data for this test to mean anything");
    }

    [TestCase(1)]
    [TestCase(4)]
    public async Task NbdCopy_ToFile_IsByteIdenticalToQemuImgConvert(int connections)
    {
        var nbdcopy = Peer.Require("nbdcopy", "libnbd-bin");
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var path = Image(dir);
        using var exports = ReadOnly(path);
        await using var server = await NbdTestServer.StartAsync(exports);
        Peer.Check(qemuImg, "convert", "-f", "raw", "-O", "raw", path, dir.File("theirs.raw"));
        File.WriteAllBytes(dir.File("ours.raw"), []);
        Peer.Check(nbdcopy, $"--connections={connections}", server.Uri("disk"), dir.File("ours.raw"));
        Assert.That(Hash.Sha256File(dir.File("ours.raw")), Is.EqualTo(Hash.Sha256File(dir.File("theirs.raw"))));
        Assert.That(exports.Export.Counters.Snapshot().BytesRead, Is.GreaterThan(0));
    }

    [Test]
    public async Task QemuImgConvertAndCompare_FromNbd_MatchSource()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var path = Image(dir);
        using var exports = ReadOnly(path);
        await using var server = await NbdTestServer.StartAsync(exports);
        Peer.Check(qemuImg, "convert", "-f", "raw", "-O", "raw", server.Uri("disk"), dir.File("out.raw"));
        Assert.That(Hash.Sha256File(dir.File("out.raw")), Is.EqualTo(Hash.Sha256File(path)));
        var cmp = Peer.Run(qemuImg, ["compare", "-f", "raw", "-F", "raw", path, server.Uri("disk")]);
        Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
        Assert.That(cmp.StdOut, Does.Contain("Images are identical"));
    }

    [Test]
    public async Task QemuIo_WriteToReadOnly_IsRefused()
    {
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        using var dir = new TempDir();
        var path = Image(dir);
        var before = Hash.Sha256File(path);
        using var exports = ReadOnly(path);
        await using var server = await NbdTestServer.StartAsync(exports);
        var r = Peer.Run(qemuIo, ["-f", "raw", "-c", "write -P 0xab 0 64k", server.Uri("disk")]);
        Assert.That(r.StdOut + r.StdErr, Does.Contain("read-only").Or.Contain("Operation not permitted").Or.Contain("Permission denied"));
        Assert.That(Hash.Sha256File(path), Is.EqualTo(before));
    }

    [Test]
    public async Task QemuIo_WritesThroughWritableExport_SurviveServerRestart()
    {
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        using var dir = new TempDir();
        var path = Image(dir);
        using (var exports = Writable(path))
        {
            await using var server = await NbdTestServer.StartAsync(exports);
            Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0xab 2M 64k", "-c", "write -z 1M 4k", "-c", "flush", server.Uri("disk"));
        }
        using (var exports = Writable(path))
        {
            await using var server = await NbdTestServer.StartAsync(exports);
            var r = Peer.Check(qemuIo, "-f", "raw", "-c", "read -P 0xab 2M 64k", "-c", "read -P 0 1M 4k", "-c", "read -P 0x5a 1052672 4k", server.Uri("disk"));
            Assert.That(r, Does.Not.Contain("Pattern verification failed"));
        }
    }

    [Test]
    public async Task NbdSh_EdgeCases_BehaveAsSpecified()
    {
        Peer.Require("nbdsh", "python3-libnbd");
        using var dir = new TempDir();
        var path = Image(dir);
        using var exports = Writable(path);
        await using var server = await NbdTestServer.StartAsync(exports);
        // Strict client-side checks off, so our server (not libnbd) judges each request.
        const string script = """
import errno
h.set_strict_mode(0)
size = h.get_size()
assert h.can_multi_conn() and h.can_zero() and h.can_flush() and h.can_fua() and h.can_cache() and h.can_fast_zero()
# FAST_ZERO is offered; on a raw file zeroing is not faster than writing, so it fails at once with ENOTSUP.
def fails(f, code):
    try:
        f()
    except nbd.Error as e:
        # libnbd's python binding gives the errno name.
        assert e.errno == errno.errorcode[code], (e.errno, code)
        return
    raise AssertionError("no error")
fails(lambda: h.pread(512, size), errno.EINVAL)
fails(lambda: h.pread(512, 100), errno.EINVAL)
fails(lambda: h.pwrite(b"x" * 512, size), errno.ENOSPC)
fails(lambda: h.zero(4096, 0, nbd.CMD_FLAG_FAST_ZERO), errno.ENOTSUP)
h.pwrite(b"\x42" * 4096, 4096, nbd.CMD_FLAG_FUA)
assert h.pread(4096, 4096) == b"\x42" * 4096
h.zero(4096, 4096)
assert h.pread(4096, 4096) == bytes(4096)
h.trim(4096, 8192)
h.cache(65536, 0)
h.flush()
seen = []
h.block_status(size, 0, lambda ctx, off, ents, err: seen.extend(ents))
assert sum(seen[0::2]) == size, seen
assert h.pread(512, size - 512) == b"\x77" * 512
print("ok")
""";
        // nbdsh is "python3 -m nbd"; run it with Debian's python3, which has the nbd module (a pyenv one may not).
        var python = Peer.Find("/usr/bin/python3") ?? Peer.Require("python3", "python3");
        var r = Peer.Run(python, ["-m", "nbd", "--base-allocation", "-u", server.Uri("disk"), "-c", script], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(r.StdOut.Trim(), Is.EqualTo("ok"));
    }

    [Test]
    public async Task Curl_HttpRangeExport_ServesHeadRangesAnd416()
    {
        var curl = Peer.Require("curl", "curl");
        using var dir = new TempDir();
        var path = Image(dir);
        using var exports = ReadOnly(path);
        await using var server = await NbdTestServer.StartAsync(exports, http: true);
        var url = server.HttpUri("disk");
        var head = Peer.Check(curl, "-sS", "-I", url);
        Assert.That(head, Does.Contain("Content-Length: 33554432"));
        Assert.That(head, Does.Contain("Accept-Ranges: bytes"));
        Assert.That(head, Does.Match("ETag: \"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+\""));
        var src = File.ReadAllBytes(path);
        // iPXE-shaped reads: 512-byte multiples at sector offsets.
        foreach (var (off, len) in new[] { (0L, 512), (1048576L, 4096), (1048576L + 512, 65536), (32505856L, 1048576) })
        {
            var outFile = dir.File($"r{off}");
            var code = Peer.Check(curl, "-sS", "-o", outFile, "-w", "%{http_code} %header{content-range}", "-r", $"{off}-{off + len - 1}", url);
            Assert.That(code, Is.EqualTo($"206 bytes {off}-{off + len - 1}/33554432"));
            Assert.That(File.ReadAllBytes(outFile), Is.EqualTo(src.AsSpan((int)off, len).ToArray()));
        }
        Assert.That(Peer.Check(curl, "-sS", "-o", "/dev/null", "-w", "%{http_code} %header{content-range}", "-r", "33554432-", url), Is.EqualTo("416 bytes */33554432"));
        Peer.Check(curl, "-sS", "-o", dir.File("whole"), url);
        Assert.That(Hash.Sha256File(dir.File("whole")), Is.EqualTo(Hash.Sha256File(path)));
        Assert.That(Peer.Check(curl, "-sS", "-o", "/dev/null", "-w", "%{http_code}", server.HttpUri("nope")), Is.EqualTo("404"));
    }

    /// <summary>`baremetal export ARGS` as a child process (the caller kills it).</summary>
    internal static Process StartExport(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "baremetal.dll");
        var psi = new ProcessStartInfo(Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("export");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
    }

    internal static string ReadLine(Process proc)
    {
        var line = proc.StandardOutput.ReadLineAsync();
        Assert.That(line.Wait(TimeSpan.FromSeconds(60)), Is.True, "no URL printed");
        Assert.That(line.Result, Is.Not.Null, "export ended without printing its URL");
        return line.Result!.Split(' ')[0];
    }

    internal static void Stop(Process proc)
    {
        proc.Kill(entireProcessTree: true);
        proc.WaitForExit(10_000);
    }

    [Test]
    public void ExportCommand_Http_ServesTheDiskToCurl()
    {
        var curl = Peer.Require("curl", "curl");
        using var dir = new TempDir();
        var path = Image(dir, "web-disk.raw");
        using var proc = StartExport(path, "--nbd", "127.0.0.1:0", "--http", "127.0.0.1:0", "--read-only");
        try
        {
            Assert.That(ReadLine(proc), Does.StartWith("nbd://127.0.0.1:"));
            var url = ReadLine(proc);
            Assert.That(url, Does.Match("^http://127\\.0\\.0\\.1:[0-9]+/disk/web-disk$"));
            Assert.That(Peer.Check(curl, "-sS", "-I", url), Does.Contain("Content-Length: 33554432"));
            var part = dir.File("part");
            Assert.That(Peer.Check(curl, "-sS", "-o", part, "-w", "%{http_code}", "-r", "1048576-1052671", url), Is.EqualTo("206"));
            Assert.That(File.ReadAllBytes(part), Is.EqualTo(File.ReadAllBytes(path).AsSpan(1 << 20, 4096).ToArray()));
        }
        finally
        {
            Stop(proc);
        }
    }

    [Test]
    public void ExportCommand_Overlay_KeepsWritesAcrossRestarts_AndNeverWritesTheFile()
    {
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var path = Image(dir, "ov-disk.raw");
        var baseHash = Hash.Sha256File(path);
        var overlay = dir.File("ov.qcow2");
        using (var proc = StartExport(path, "--nbd", "127.0.0.1:0", "--overlay", overlay))
        {
            try
            {
                Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0xab 2M 64k", "-c", "write -z 1M 4k", "-c", "flush", ReadLine(proc));
            }
            finally
            {
                Stop(proc);
            }
        }
        using (var proc = StartExport(path, "--nbd", "127.0.0.1:0", "--overlay", overlay))
        {
            try
            {
                var r = Peer.Check(qemuIo, "-f", "raw", "-c", "read -P 0xab 2M 64k", "-c", "read -P 0 1M 4k", "-c", "read -P 0x5a 1052672 4k", ReadLine(proc));
                Assert.That(r, Does.Not.Contain("Pattern verification failed"));
            }
            finally
            {
                Stop(proc);
            }
        }
        Assert.That(Hash.Sha256File(path), Is.EqualTo(baseHash));
        Assert.That(Peer.Check(qemuImg, "info", "--output=json", overlay), Does.Contain("\"format\": \"qcow2\""));
    }

    [Test]
    public void ExportCommand_OverlayThatIsNotQcow2_IsRefusedInOneLine()
    {
        using var dir = new TempDir();
        var path = Image(dir, "ro-disk.raw");
        var overlay = dir.File("not-an-overlay.img");
        File.WriteAllBytes(overlay, new byte[1 << 20]);
        using var proc = StartExport(path, "--nbd", "127.0.0.1:0", "--overlay", overlay);
        var stderr = proc.StandardError.ReadToEndAsync();
        var stdout = proc.StandardOutput.ReadToEndAsync();
        if (!proc.WaitForExit(60_000))
        {
            Stop(proc);
            Assert.Fail("export served a raw file as an overlay: " + stdout.Result);
        }
        var lines = stderr.Result.Trim().Split('\n');
        Assert.That(proc.ExitCode, Is.Not.Zero);
        Assert.That(lines, Has.Length.EqualTo(1), stderr.Result);
        Assert.That(lines[0], Does.Contain("not-an-overlay.img").And.Contain("not a qcow2 overlay"));
        Assert.That(File.ReadAllBytes(overlay), Is.All.EqualTo((byte)0), "the file was not written");
    }

    [Test]
    public void ExportCommand_ServesFileUntilStopped()
    {
        var nbdinfo = Peer.Require("nbdinfo", "libnbd-bin");
        using var dir = new TempDir();
        var path = Image(dir, "cli-disk.raw");
        var dll = Path.Combine(AppContext.BaseDirectory, "baremetal.dll");
        var psi = new ProcessStartInfo(Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, "export", path, "--nbd", "127.0.0.1:0", "--read-only" })
        {
            psi.ArgumentList.Add(a);
        }
        using var proc = Process.Start(psi)!;
        try
        {
            var line = proc.StandardOutput.ReadLineAsync();
            Assert.That(line.Wait(TimeSpan.FromSeconds(60)), Is.True, "no URL printed");
            var uri = line.Result!.Split(' ')[0];
            Assert.That(uri, Does.Match("^nbd://127\\.0\\.0\\.1:[0-9]+/cli-disk$"));
            var info = Peer.Check(nbdinfo, "--size", uri);
            Assert.That(info.Trim(), Is.EqualTo((32 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            // The empty default name serves the same image, as qemu-nbd's does.
            Assert.That(Peer.Check(nbdinfo, "--size", uri[..uri.LastIndexOf('/')] + "/").Trim(), Is.EqualTo(info.Trim()));
        }
        finally
        {
            proc.Kill(entireProcessTree: true);
            proc.WaitForExit(10_000);
        }
    }
}

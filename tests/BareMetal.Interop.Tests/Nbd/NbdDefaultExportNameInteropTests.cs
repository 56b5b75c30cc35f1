using System.Text.Json;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Raw;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Nbd;

/// <summary>
/// Issue 16: `nbd://HOST:PORT` (the default, empty export name, what qemu-nbd users type) must work like
/// `nbd://HOST:PORT/NAME` with every real client, block status included. Each case runs with and without
/// the name against a sparse image served as `baremetal export` serves it ("disk" and "").
/// </summary>
public class NbdDefaultExportNameInteropTests
{
    private static FileExportProvider Exports(string path) =>
        new(new RawDisk(FileSource.Open(path), ImageFormat.Raw), readOnly: true, ["disk", ""], "src.raw");

    /// <summary>The URL with the name, or without any path at all for the default name.</summary>
    private static string Url(NbdTestServer server, string name) => name.Length == 0 ? $"nbd://127.0.0.1:{server.Port}" : server.Uri(name);

    /// <summary>qemu-img's own map of the file: what every client must see over NBD.</summary>
    private static List<(long Start, long Length, bool Data, bool Zero)> FileMap(string path)
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var map = NbdInteropTests.Normalise(JsonDocument.Parse(Peer.Check(qemuImg, "map", "--output=json", "-f", "raw", path)).RootElement.EnumerateArray()
            .Select(x => (x.GetProperty("start").GetInt64(), x.GetProperty("length").GetInt64(), x.GetProperty("data").GetBoolean(), x.GetProperty("zero").GetBoolean())));
        Assert.That(map.Count(r => !r.Data && r.Zero), Is.GreaterThanOrEqualTo(2), "the image must be sparse for block status to matter");
        return map;
    }

    /// <summary>NBD base:allocation (length, flags) extents as map runs: HOLE (1) = no data, ZERO (2) = zero.</summary>
    private static IEnumerable<(long Start, long Length, bool Data, bool Zero)> Runs(IEnumerable<(long Length, int Flags)> extents)
    {
        var start = 0L;
        foreach (var (length, flags) in extents)
        {
            yield return (start, length, (flags & 1) == 0, (flags & 2) != 0);
            start += length;
        }
    }

    /// <summary>`nbdcopy URL - | sha256sum`: the bytes as a pipe gets them.</summary>
    private static string NbdCopyToStdoutSha256(string url)
    {
        var nbdcopy = Peer.Require("nbdcopy", "libnbd-bin");
        var bash = Peer.Require("bash", "bash");
        var r = Peer.Run(bash, ["-o", "pipefail", "-c", "\"$1\" \"$2\" - | sha256sum", "bash", nbdcopy, url]);
        Assert.That(r.ExitCode, Is.Zero, $"nbdcopy {url} - failed: {r.StdErr}");
        return r.StdOut.Split(' ')[0];
    }

    /// <summary>nbdsh's h.block_status over the whole disk, as (length, flags) extents of base:allocation.</summary>
    private static List<(long Length, int Flags)> NbdShBlockStatus(string url)
    {
        Peer.Require("nbdsh", "python3-libnbd");
        const string script = """
import json
seen = []
def extent(ctx, off, ents, err):
    assert ctx == nbd.CONTEXT_BASE_ALLOCATION, ctx
    seen.extend(ents)
    return 0
size = h.get_size()
off = 0
while off < size:
    before = len(seen)
    h.block_status(size - off, off, extent)
    assert len(seen) > before, "no extents"
    off += sum(seen[before::2])
print(json.dumps(seen))
""";
        // nbdsh is "python3 -m nbd"; Debian's python3 has the nbd module (a pyenv one may not).
        var python = Peer.Find("/usr/bin/python3") ?? Peer.Require("python3", "python3");
        var r = Peer.Run(python, ["-m", "nbd", "--base-allocation", "-u", url, "-c", script], TimeSpan.FromSeconds(60));
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var flat = JsonSerializer.Deserialize<long[]>(r.StdOut)!;
        return [.. Enumerable.Range(0, flat.Length / 2).Select(i => (flat[2 * i], (int)flat[2 * i + 1]))];
    }

    [TestCase("")]
    [TestCase("disk")]
    public async Task NbdCopy_ToStdout_IsTheFile(string name)
    {
        using var dir = new TempDir();
        var path = NbdInteropTests.Image(dir);
        using var exports = Exports(path);
        await using var server = await NbdTestServer.StartAsync(exports);
        Assert.That(NbdCopyToStdoutSha256(Url(server, name)), Is.EqualTo(Hash.Sha256File(path)));
    }

    [TestCase("")]
    [TestCase("disk")]
    public async Task NbdInfoMap_ShowsHolesAsHoleZero(string name)
    {
        var nbdinfo = Peer.Require("nbdinfo", "libnbd-bin");
        using var dir = new TempDir();
        var path = NbdInteropTests.Image(dir);
        using var exports = Exports(path);
        await using var server = await NbdTestServer.StartAsync(exports);
        var map = JsonDocument.Parse(Peer.Check(nbdinfo, "--map", "--json", Url(server, name))).RootElement.EnumerateArray()
            .Select(x => (x.GetProperty("length").GetInt64(), x.GetProperty("type").GetInt32())).ToList();
        Assert.That(NbdInteropTests.Normalise(Runs(map)), Is.EqualTo(FileMap(path)));
        // The text form too, as a user reads it.
        var text = Peer.Check(nbdinfo, "--map", Url(server, name));
        Assert.That(text, Does.Contain("hole,zero").And.Contain("data"));
    }

    [TestCase("")]
    [TestCase("disk")]
    public async Task NbdInfoList_ShowsTheNamedExportOnce(string name)
    {
        var nbdinfo = Peer.Require("nbdinfo", "libnbd-bin");
        using var dir = new TempDir();
        using var exports = Exports(NbdInteropTests.Image(dir));
        await using var server = await NbdTestServer.StartAsync(exports);
        var json = JsonDocument.Parse(Peer.Check(nbdinfo, "--json", "--list", Url(server, name)));
        var listed = json.RootElement.GetProperty("exports").EnumerateArray().ToList();
        Assert.That(listed.Select(x => x.GetProperty("export-name").GetString()), Is.EqualTo(new[] { "disk" }));
        Assert.That(listed[0].GetProperty("export-size").GetInt64(), Is.EqualTo(32 << 20));
    }

    [TestCase("")]
    [TestCase("disk")]
    public async Task QemuImgConvert_FromNbd_IsTheFile(string name)
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var path = NbdInteropTests.Image(dir);
        using var exports = Exports(path);
        await using var server = await NbdTestServer.StartAsync(exports);
        Peer.Check(qemuImg, "convert", "-f", "raw", "-O", "raw", Url(server, name), dir.File("out.raw"));
        Assert.That(Hash.Sha256File(dir.File("out.raw")), Is.EqualTo(Hash.Sha256File(path)));
        // The copy stays sparse (4 MiB of data in 32 MiB).
        Assert.That(FileMap(dir.File("out.raw")).Where(r => r.Data).Sum(r => r.Length), Is.LessThan(4L << 20));
    }

    [TestCase("")]
    [TestCase("disk")]
    public async Task QemuImgMap_OverNbd_EqualsTheFilesMap(string name)
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var path = NbdInteropTests.Image(dir);
        using var exports = Exports(path);
        await using var server = await NbdTestServer.StartAsync(exports);
        var map = JsonDocument.Parse(Peer.Check(qemuImg, "map", "--output=json", "-f", "raw", Url(server, name))).RootElement.EnumerateArray()
            .Select(x => (x.GetProperty("start").GetInt64(), x.GetProperty("length").GetInt64(), x.GetProperty("data").GetBoolean(), x.GetProperty("zero").GetBoolean()));
        Assert.That(NbdInteropTests.Normalise(map), Is.EqualTo(FileMap(path)));
    }

    [TestCase("")]
    [TestCase("disk")]
    public async Task NbdSh_BlockStatus_ReturnsTheExtents(string name)
    {
        using var dir = new TempDir();
        var path = NbdInteropTests.Image(dir);
        using var exports = Exports(path);
        await using var server = await NbdTestServer.StartAsync(exports);
        var extents = NbdShBlockStatus(Url(server, name));
        Assert.That(extents.Sum(e => e.Length), Is.EqualTo(32L << 20));
        Assert.That(extents, Has.Some.Matches<(long Length, int Flags)>(e => e.Flags == 3), "holes are HOLE|ZERO");
        Assert.That(NbdInteropTests.Normalise(Runs(extents)), Is.EqualTo(FileMap(path)));
    }

    [Test]
    public void ExportCommand_DefaultName_ServesBlockStatusToEveryPeer()
    {
        var nbdinfo = Peer.Require("nbdinfo", "libnbd-bin");
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        using var dir = new TempDir();
        var path = NbdInteropTests.Image(dir, "cli-sparse.raw");
        var fileMap = FileMap(path);
        var hash = Hash.Sha256File(path);
        // Writable, as `baremetal export FILE` is by default; nothing here writes.
        using var proc = NbdInteropTests.StartExport(path, "--nbd", "127.0.0.1:0");
        try
        {
            var named = NbdInteropTests.ReadLine(proc);
            Assert.That(named, Does.Match("^nbd://127\\.0\\.0\\.1:[0-9]+/cli-sparse$"));
            var bare = named[..named.LastIndexOf('/')];
            foreach (var url in new[] { bare, named })
            {
                Assert.That(NbdCopyToStdoutSha256(url), Is.EqualTo(hash), url);
                var map = JsonDocument.Parse(Peer.Check(nbdinfo, "--map", "--json", url)).RootElement.EnumerateArray()
                    .Select(x => (x.GetProperty("length").GetInt64(), x.GetProperty("type").GetInt32()));
                Assert.That(NbdInteropTests.Normalise(Runs(map)), Is.EqualTo(fileMap), url);
                Assert.That(NbdInteropTests.Normalise(Runs(NbdShBlockStatus(url))), Is.EqualTo(fileMap), url);
                var qemuMap = JsonDocument.Parse(Peer.Check(qemuImg, "map", "--output=json", "-f", "raw", url)).RootElement.EnumerateArray()
                    .Select(x => (x.GetProperty("start").GetInt64(), x.GetProperty("length").GetInt64(), x.GetProperty("data").GetBoolean(), x.GetProperty("zero").GetBoolean()));
                Assert.That(NbdInteropTests.Normalise(qemuMap), Is.EqualTo(fileMap), url);
                var output = dir.File("out.raw");
                File.Delete(output);
                Peer.Check(qemuImg, "convert", "-f", "raw", "-O", "raw", url, output);
                Assert.That(Hash.Sha256File(output), Is.EqualTo(hash), url);
            }
            var list = JsonDocument.Parse(Peer.Check(nbdinfo, "--json", "--list", bare)).RootElement.GetProperty("exports");
            Assert.That(list.EnumerateArray().Select(x => x.GetProperty("export-name").GetString()), Is.EqualTo(new[] { "cli-sparse" }));
        }
        finally
        {
            NbdInteropTests.Stop(proc);
        }
        Assert.That(Hash.Sha256File(path), Is.EqualTo(hash), "reading changed nothing");
    }
}

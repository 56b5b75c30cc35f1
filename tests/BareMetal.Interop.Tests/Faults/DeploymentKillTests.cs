using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Faults;

/// <summary>
/// Issue 5, faults: `kill -9` the real server while a node streams and writes through its copy-on-write
/// overlay over NBD (qemu-io as the node), then restart it on the same data directory: every write
/// acknowledged before a FLUSH reads back, unflushed ones are each there or not (never garbage),
/// qemu-img finds no corruption in the overlay, the node keeps its assignment and deployment, and the
/// base image is untouched. And a deploy-mode node's copy: killed halfway, the restarted server follows
/// the copier's reads again and the copy % carries on from where it was.
/// </summary>
[NonParallelizable]
public partial class DeploymentKillTests
{
    private const long DiskBytes = 64L << 20;

    private const string Mac = "52:54:00:fa:17:05";

    private const int Iterations = 4;

    /// <summary>Where one phase of unflushed writes lands (a random 24 MiB of the 64 MiB disk).</summary>
    private const long WindowBytes = 24L << 20;

    [Test]
    public async Task KillNine_DuringOverlayWrites_RestartKeepsFlushedWrites_OverlayClean_AssignmentAndDeployment()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var random = new Random(FaultServer.Seed(5002));
        var clock = Stopwatch.StartNew();
        using var dir = new TempDir("bm-faults");
        using var server = new FaultServer(Path.Combine(dir.Path, "data"), nbd: true);
        await server.StartAsync();
        using var api = FaultApi.Connect(server.HttpPort, await FaultApi.CreateTokenAsync(server.HttpPort, FaultServer.Password));

        // The base: every sector one byte value, never zero, so a misplaced or lost cluster shows.
        var baseBytes = new byte[DiskBytes];
        for (var s = 0; s < DiskBytes / SectorModel.SectorBytes; s++)
        {
            baseBytes.AsSpan(s * SectorModel.SectorBytes, SectorModel.SectorBytes).Fill(BaseByte(s));
        }
        var baseRaw = dir.File("base.raw");
        await File.WriteAllBytesAsync(baseRaw, baseBytes);
        var baseQcow2 = dir.File("base.qcow2");
        Peer.Check(qemuImg, "convert", "-f", "raw", "-O", "qcow2", baseRaw, baseQcow2);
        var baseSha = Hash.Sha256File(baseQcow2);
        var imported = await api.UploadFileAsync("node-os", baseQcow2);
        Assert.That(imported["sha256"]!.GetValue<string>(), Is.EqualTo(baseSha));
        var baseFile = Path.Combine(server.ImagesDirectory, imported["exportName"]!.GetValue<string>() + ".qcow2");

        // The node: added, assigned to stream the image, boots (fetches its script, which names its export
        // with the deployment's key) and reports its OS up. The key is the same after every restart: same deployment.
        var export = await StreamingNodeAsync(api, server.HttpPort, Mac);
        var deployment = await api.SendJsonAsync(HttpMethod.Post, $"api/v1/nodes/{Mac}/events", new { @event = "os-up" }, HttpStatusCode.Accepted);
        var deploymentId = deployment["id"]!.GetValue<long>();
        var overlay = Path.Combine(server.DataDirectory, "overlays", ExportName.Parse(export).Canonical + ".qcow2");
        var nbdUrl = $"nbd://127.0.0.1:{server.NbdPort}/{export}";
        var model = new SectorModel(baseBytes);
        var history = await HistoryAsync(api, deploymentId);
        long streamedBeforeKill = 0;

        for (var iteration = 0; iteration <= Iterations; iteration++)
        {
            if (iteration > 0)
            {
                await server.StartAsync();
                await AssertAfterRestartAsync(server, api, qemuImg, dir, nbdUrl, overlay, model, deploymentId, history, baseFile, baseSha, streamedBeforeKill);
            }
            // Phase A: acknowledged writes, then FLUSH; from here on they must survive anything.
            var flushed = Plan(random, 40, 0, DiskBytes);
            var a = Peer.Run(qemuIo, ["-f", "raw", .. flushed.SelectMany(w => new[] { "-c", w.Command(async: false) }), "-c", "flush", nbdUrl], TimeSpan.FromSeconds(90));
            Assert.That(a.ExitCode, Is.EqualTo(0), a.StdOut + a.StdErr);
            Assert.That(Regex.Count(a.StdOut, "^wrote ", RegexOptions.Multiline), Is.EqualTo(flushed.Count), a.StdOut);
            foreach (var w in flushed)
            {
                model.Durable(w.Offset, w.Length, w.Value);
            }
            if (iteration == Iterations)
            {
                break;
            }

            // Phase B: a stream of asynchronous writes, never flushed, and the server killed under them.
            // They stay inside a window (fresh clusters and many overwrites), so the flushed writes
            // outside it are checked to the byte; those inside are the ones an unflushed write may replace.
            var window = random.NextInt64((DiskBytes - WindowBytes) / 65536 + 1) * 65536;
            var unflushed = Plan(random, 1500, window, WindowBytes);
            var args = new List<string> { "-f", "raw" };
            for (var i = 0; i < unflushed.Count; i++)
            {
                args.AddRange(["-c", unflushed[i].Command(async: true)]);
                if (i % 4 == 3)
                {
                    args.AddRange(["-c", "sleep 1"]);
                }
            }
            args.Add(nbdUrl);
            foreach (var w in unflushed)
            {
                model.Pending(w.Offset, w.Length, w.Value);
            }
            streamedBeforeKill = await BytesStreamedAsync(api);
            var killAfter = random.Next(5, 400);
            int acked;
            using (var writer = BackgroundPeer.Start(qemuIo, args, "wrote "))
            {
                var reached = await writer.WaitForCountAsync(killAfter, TimeSpan.FromSeconds(60));
                Assert.That(reached, Is.True, $"qemu-io did not get {killAfter} writes acknowledged: {writer.Output}");
                server.Kill();
                // qemu-io exits 0 whatever its aio requests did; what tells is how many were acknowledged.
                await writer.WaitForExitAsync(TimeSpan.FromSeconds(60));
                acked = writer.Count;
                Assert.That(acked, Is.LessThan(unflushed.Count), "the kill landed mid-stream: " + writer.Output[^Math.Min(writer.Output.Length, 400)..]);
            }

            // The crash state itself, before our server touches the file again.
            var check = Peer.Run(qemuImg, ["check", "-f", "qcow2", overlay], TimeSpan.FromSeconds(60));
            TestContext.Out.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0}s iteration {iteration}: killed after {acked} of {unflushed.Count} unflushed writes acknowledged " +
                $"in [{window >> 20}, {(window + WindowBytes) >> 20}) MiB ({model.PendingSectors} of {DiskBytes / SectorModel.SectorBytes} sectors in doubt); overlay {new FileInfo(overlay).Length} bytes; {streamedBeforeKill} bytes streamed; qemu-img check exit {check.ExitCode}: {Summary(check.StdOut)}");
            AssertNoCorruption(check, "after the kill");
        }

        // The recovered overlay takes new writes, and stays clean.
        var final = Peer.Run(qemuImg, ["convert", "-f", "raw", "-O", "raw", nbdUrl, dir.File("final.raw")], TimeSpan.FromSeconds(90));
        Assert.That(final.ExitCode, Is.EqualTo(0), final.StdErr);
        Assert.That(model.CheckAndSettle(await File.ReadAllBytesAsync(dir.File("final.raw"))), Is.Empty);
        Assert.That(server.Stop(), Is.EqualTo(0));
        AssertNoCorruption(Peer.Run(qemuImg, ["check", "-f", "qcow2", overlay], TimeSpan.FromSeconds(60)), "after the last clean stop");
        var verify = Cli.Run("image", "verify", overlay);
        Assert.That(verify.ExitCode, Is.EqualTo(0).Or.EqualTo(3), $"baremetal image verify (3 = leaks only): {verify.StdOut}{verify.StdErr}");
        Assert.That(Hash.Sha256File(baseFile), Is.EqualTo(baseSha), "the base image is never written");
        TestContext.Out.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s in all; image verify on the overlay: exit {verify.ExitCode} {verify.StdOut.Trim()}");
    }

    [Test]
    public async Task KillNine_AsNodesConnectForTheFirstTime_RestartServesEachDiskAsBaseOrFlushedWrite_OverlaysIntact()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var random = new Random(FaultServer.Seed(5003));
        using var dir = new TempDir("bm-faults");
        using var server = new FaultServer(Path.Combine(dir.Path, "data"), nbd: true);
        await server.StartAsync();
        using var api = FaultApi.Connect(server.HttpPort, await FaultApi.CreateTokenAsync(server.HttpPort, FaultServer.Password));
        const long size = 8L << 20;
        var baseBytes = new byte[size];
        for (var s = 0; s < size / SectorModel.SectorBytes; s++)
        {
            baseBytes.AsSpan(s * SectorModel.SectorBytes, SectorModel.SectorBytes).Fill(BaseByte(s));
        }
        await File.WriteAllBytesAsync(dir.File("base.raw"), baseBytes);
        Peer.Check(qemuImg, "convert", "-f", "raw", "-O", "qcow2", dir.File("base.raw"), dir.File("base.qcow2"));
        await api.UploadFileAsync("node-os", dir.File("base.qcow2"));
        var overlays = Path.Combine(server.DataDirectory, "overlays");

        // The first connection of a node creates its overlay: kill the server around that moment
        // (qemu-io takes some tens of ms to connect, so the delays span before, during and after).
        for (var i = 0; i < 5; i++)
        {
            var export = await StreamingNodeAsync(api, server.HttpPort, string.Create(CultureInfo.InvariantCulture, $"52:54:00:fa:18:{i:x2}"));
            var nbdUrl = $"nbd://127.0.0.1:{server.NbdPort}/{export}";
            var model = new SectorModel(baseBytes);
            model.Pending(0, 65536, 0x77);
            var delay = random.Next(i * 25, (i + 1) * 25);
            int code;
            using (var writer = BackgroundPeer.Start(qemuIo, ["-f", "raw", "-c", "write -P 0x77 0 64k", "-c", "flush", nbdUrl], "wrote "))
            {
                await Task.Delay(delay);
                server.Kill();
                code = await writer.WaitForExitAsync(TimeSpan.FromSeconds(60));
            }
            if (code == 0)
            {
                // Written and flushed before the kill: it must be there.
                model.Durable(0, 65536, 0x77);
            }
            var overlay = Path.Combine(overlays, ExportName.Parse(export).Canonical + ".qcow2");
            var leftovers = Directory.Exists(overlays) ? Directory.GetFiles(overlays, "*.creating").Length : 0;
            var state = File.Exists(overlay) ? $"overlay {new FileInfo(overlay).Length} bytes" : "no overlay";
            if (File.Exists(overlay))
            {
                AssertNoCorruption(Peer.Run(qemuImg, ["check", "-f", "qcow2", overlay], TimeSpan.FromSeconds(60)), "after a kill at first connection");
            }
            TestContext.Out.WriteLine($"kill {delay} ms after qemu-io started: qemu-io exit {code}; {state}; {leftovers} .creating leftover(s)");

            await server.StartAsync();
            var read = Peer.Run(qemuImg, ["convert", "-f", "raw", "-O", "raw", nbdUrl, dir.File("read.raw")], TimeSpan.FromSeconds(60));
            Assert.That(read.ExitCode, Is.EqualTo(0), $"the node's disk is served after the restart ({state}): {read.StdErr}");
            Assert.That(model.CheckAndSettle(await File.ReadAllBytesAsync(dir.File("read.raw"))), Is.Empty, state);
            AssertNoCorruption(Peer.Run(qemuImg, ["check", "-f", "qcow2", overlay], TimeSpan.FromSeconds(60)), "after the restart");
        }
        Assert.That(server.Stop(), Is.EqualTo(0));
    }

    [Test]
    public async Task KillNine_HalfwayThroughADeployCopy_RestartCarriesTheCopyPercentOn_AndDeployDoneMakesIt100()
    {
        var random = new Random(FaultServer.Seed(5004));
        const long size = 8L << 20;
        const string mac = "52:54:00:fa:19:01";
        using var dir = new TempDir("bm-faults");
        using var server = new FaultServer(Path.Combine(dir.Path, "data"), nbd: false);
        await server.StartAsync();
        using var api = FaultApi.Connect(server.HttpPort, await FaultApi.CreateTokenAsync(server.HttpPort, FaultServer.Password));
        var image = new byte[size];
        random.NextBytes(image);
        await File.WriteAllBytesAsync(dir.File("deploy.raw"), image);
        await api.UploadFileAsync("deploy-os", dir.File("deploy.raw"));
        // Added by hand at the address of its own it will call from (loopback has no lease or neighbour entry to tell it by).
        const string nodeAddress = "127.0.0.23";
        await api.SendJsonAsync(HttpMethod.Post, "api/v1/nodes", new { mac, ip = nodeAddress }, HttpStatusCode.Created);
        await api.SendJsonAsync(HttpMethod.Put, $"api/v1/nodes/{mac}/assignment", new { image = "deploy-os", mode = "deploy" }, HttpStatusCode.OK);

        // The node, at that address, fetches its deploy script and its copier reads half the image.
        using var copier = new RangeCopier(IPAddress.Parse(nodeAddress), server.HttpPort);
        var script = await copier.Http.GetStringAsync(new Uri($"boot/{mac}.ipxe", UriKind.Relative));
        var disk = new Uri(SanhookUrl().Match(script).Groups["url"].Value).PathAndQuery;
        Assert.That(disk, Is.EqualTo("/disk/deploy-os.v1"), script);
        var doneUrl = new Uri(DeployDoneUrl().Match(script).Groups["url"].Value).PathAndQuery;
        Assert.That(doneUrl, Does.Match($"^/boot/{mac}/deploy-done\\?key=[a-z2-7]+$"), script);
        var patience = TimeSpan.FromSeconds(120);
        await copier.CopyAsync(disk, 0, size / 2, TimeSpan.Zero, patience);
        var half = await WaitForCopyAsync(api, mac, d => CopyPercent(d) >= 50);
        Assert.That((half["state"]!.GetValue<string>(), CopyPercent(half)), Is.EqualTo(("copying", 50.0)), half.ToJsonString());
        var deploymentId = half["id"]!.GetValue<long>();

        // It reads on, paced, and the server is killed a few chunks later (reads since the last sample are lost to both processes).
        var rest = copier.CopyAsync(disk, size / 2, size, TimeSpan.FromMilliseconds(20), patience);
        var killAt = (size / 2) + (random.Next(1, 9) * RangeCopier.ChunkBytes);
        var waited = Stopwatch.StartNew();
        while (copier.Copied < killAt && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(5);
        }
        var before = CopyPercent((await api.GetAsync($"api/v1/deployments/{mac}"))!.AsArray()[0]!);
        server.Kill();
        var copiedAtKill = copier.Copied;
        Assert.That(copiedAtKill, Is.LessThan(size), "the kill landed mid-copy");

        // Back on the same data directory; the copier, asking again, goes on with the chunk it was on.
        await server.StartAsync();
        var seen = new List<double> { before };
        // Reads the old process counted but did not sample yet count for neither: at most what was read after the 50 %, plus a chunk in flight.
        var floor = 100 - Math.Ceiling((copiedAtKill + RangeCopier.ChunkBytes - (size / 2)) * 100.0 / size) - 0.2;
        var end = Stopwatch.StartNew();
        JsonNode current;
        while (true)
        {
            current = (await api.GetAsync($"api/v1/deployments/{mac}"))!.AsArray()[0]!;
            seen.Add(CopyPercent(current));
            if ((rest.IsCompleted && CopyPercent(current) >= floor) || end.Elapsed > TimeSpan.FromSeconds(150))
            {
                break;
            }
            await Task.Delay(100);
        }
        await rest;
        TestContext.Out.WriteLine($"killed at {copiedAtKill >> 10} KiB of {size >> 10} KiB copied, {before} % shown; after the restart and the rest of the copy: {CopyPercent(current)} % (floor {floor}); {seen.Distinct().Count()} values seen");
        Assert.Multiple(() =>
        {
            Assert.That(current["id"]!.GetValue<long>(), Is.EqualTo(deploymentId), "the same deployment");
            Assert.That(current["state"]!.GetValue<string>(), Is.EqualTo("copying"));
            Assert.That(seen, Is.Ordered, "the copy % never goes back: " + string.Join(", ", seen.Distinct()));
            Assert.That(CopyPercent(current), Is.GreaterThanOrEqualTo(floor), "the copy % carried on after the restart");
        });

        // The copier returns success, and the script reports done (with the deployment's key, as the script says).
        using (var done = await copier.Http.GetAsync(new Uri(doneUrl, UriKind.Relative)))
        {
            Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.OK), await done.Content.ReadAsStringAsync());
        }
        var finished = (await api.GetAsync($"api/v1/deployments/{mac}"))!.AsArray()[0]!;
        Assert.That((finished["id"]!.GetValue<long>(), finished["state"]!.GetValue<string>(), CopyPercent(finished)), Is.EqualTo((deploymentId, "done", 100.0)));
        Assert.That(server.Output, Does.Not.Contain("Exception"), "a clean start after the kill");
        Assert.That(server.Stop(), Is.EqualTo(0));
    }

    private static double CopyPercent(JsonNode deployment) => deployment["progress"]!["copyPercent"]!.GetValue<double>();

    /// <summary>Polls the node's current deployment until <paramref name="done"/> (the server samples its counters once a second).</summary>
    private static async Task<JsonNode> WaitForCopyAsync(FaultApi api, string mac, Func<JsonNode, bool> done)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var current = (await api.GetAsync($"api/v1/deployments/{mac}"))!.AsArray()[0]!;
            if (done(current) || waited.Elapsed > TimeSpan.FromSeconds(30))
            {
                return current;
            }
            await Task.Delay(100);
        }
    }

    private static async Task AssertAfterRestartAsync(FaultServer server, FaultApi api, string qemuImg, TempDir dir, string nbdUrl, string overlay,
        SectorModel model, long deploymentId, List<string> history, string baseFile, string baseSha, long streamedBeforeKill)
    {
        // What the node would see: the whole disk read back through the restarted server...
        var viaServer = dir.File("via-server.raw");
        var read = Peer.Run(qemuImg, ["convert", "-f", "raw", "-O", "raw", nbdUrl, viaServer], TimeSpan.FromSeconds(90));
        Assert.That(read.ExitCode, Is.EqualTo(0), "the node's disk reads after the restart: " + read.StdErr);
        // ... and what qemu's own qcow2 driver makes of the overlay file: the same bytes.
        var viaQemu = dir.File("via-qemu.raw");
        var direct = Peer.Run(qemuImg, ["convert", "-f", "qcow2", "-O", "raw", overlay, viaQemu], TimeSpan.FromSeconds(90));
        Assert.That(direct.ExitCode, Is.EqualTo(0), direct.StdErr);
        var disk = await File.ReadAllBytesAsync(viaServer);
        var qemuSees = await File.ReadAllBytesAsync(viaQemu);
        Assert.That(disk.AsSpan().SequenceEqual(qemuSees), Is.True, "our server and qemu read the overlay alike");
        var problems = model.CheckAndSettle(disk);
        Assert.That(problems, Is.Empty, "flushed writes survive; unflushed ones are there or not, never garbage");

        var node = (await api.GetAsync($"api/v1/nodes/{Mac}"))!;
        Assert.That(node["image"]!.GetValue<string>(), Is.EqualTo("node-os"));
        Assert.That(node["mode"]!.GetValue<string>(), Is.EqualTo("stream"));
        Assert.That(node["state"]!.GetValue<string>(), Is.EqualTo("os-up"));
        Assert.That(await HistoryAsync(api, deploymentId), Is.EqualTo(history), "the deployment and its history survive the kill");
        Assert.That(Hash.Sha256File(baseFile), Is.EqualTo(baseSha), "the base image is never written");
        Assert.That(server.Output, Does.Not.Contain("Exception"), "a clean start after the kill");

        // The console's progress carries on from before the kill (the disk just read is mostly data: 32 MiB at least).
        var wanted = streamedBeforeKill + (32L << 20);
        var waited = Stopwatch.StartNew();
        long streamed;
        while ((streamed = await BytesStreamedAsync(api)) < wanted && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(200);
        }
        Assert.That(streamed, Is.GreaterThanOrEqualTo(wanted), $"bytes streamed: {streamedBeforeKill} before the kill, {streamed} after the restart and a whole-disk read");
    }

    private static async Task<long> BytesStreamedAsync(FaultApi api) =>
        (await api.GetAsync($"api/v1/deployments/{Mac}"))!.AsArray()[0]!["progress"]!["bytesStreamed"]!.GetValue<long>();

    /// <summary>The node's current deployment (it must still be <paramref name="id"/>) as comparable lines.</summary>
    private static async Task<List<string>> HistoryAsync(FaultApi api, long id)
    {
        var deployments = (await api.GetAsync($"api/v1/deployments/{Mac}"))!.AsArray();
        var current = deployments[0]!;
        Assert.That(current["id"]!.GetValue<long>(), Is.EqualTo(id), "still the same deployment");
        Assert.That(current["state"]!.GetValue<string>(), Is.EqualTo("os-up"));
        return [.. current["history"]!.AsArray().Select(h => $"{h!["from"]} -> {h["state"]} at {h["at"]} by {h["source"]}")];
    }

    private static void AssertNoCorruption(PeerResult check, string when)
    {
        // qemu-img check: 0 clean, 3 leaked clusters only (space lost, data safe: allowed after a kill), 2 corruption, 1 could not check.
        Assert.That(check.ExitCode, Is.EqualTo(0).Or.EqualTo(3), $"qemu-img check {when}: {check.StdOut}{check.StdErr}");
    }

    private static string Summary(string checkOutput) =>
        string.Join(" ", checkOutput.Split('\n').Where(l => l.Contains("leaked", StringComparison.Ordinal) || l.Contains("No errors", StringComparison.Ordinal)
            || l.Contains("ERROR", StringComparison.Ordinal)).Select(l => l.Trim()));

    private static byte BaseByte(long sector) => (byte)(1 + (sector * 7919 % 251));

    private sealed record PlannedWrite(long Offset, long Length, byte Value)
    {
        public string Command(bool async)
        {
            var verb = async ? "aio_write" : "write";
            return Value == 0
                ? string.Create(CultureInfo.InvariantCulture, $"{verb} -z {Offset} {Length}")
                : string.Create(CultureInfo.InvariantCulture, $"{verb} -P {Value} {Offset} {Length}");
        }
    }

    /// <summary>
    /// Random 4 KiB-aligned writes inside [start, start + length): partial clusters (copy-on-write from the base), whole and multi-cluster
    /// writes, overwrites of earlier ones, and one in ten a WRITE_ZEROES.
    /// </summary>
    private static List<PlannedWrite> Plan(Random random, int count, long start, long length)
    {
        long[] lengths = [4096, 8192, 61440, 65536, 131072, 262144];
        var writes = new List<PlannedWrite>(count);
        for (var i = 0; i < count; i++)
        {
            var bytes = lengths[random.Next(lengths.Length)];
            var offset = start + (random.NextInt64((length - bytes) / 4096 + 1) * 4096);
            var value = random.Next(10) == 0 ? (byte)0 : (byte)random.Next(1, 256);
            writes.Add(new PlannedWrite(offset, bytes, value));
        }
        return writes;
    }

    /// <summary>
    /// A stream-mode node on loopback, as an operator adds one the server cannot see at layer 2: by hand, its
    /// address pinned (loopback has no DHCP lease and no neighbour entry), assigned to stream node-os. It
    /// fetches its boot script (which starts its deployment) and gets its export's name with the deployment's
    /// key, node-os.v1@525400fa1705~KEY: what the node opens, and nothing less opens it.
    /// </summary>
    private static async Task<string> StreamingNodeAsync(FaultApi api, int httpPort, string mac)
    {
        await api.SendJsonAsync(HttpMethod.Post, "api/v1/nodes", new { mac, ip = "127.0.0.1" }, HttpStatusCode.Created);
        await api.SendJsonAsync(HttpMethod.Put, $"api/v1/nodes/{mac}/assignment", new { image = "node-os", mode = "stream" }, HttpStatusCode.OK);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var script = await http.GetStringAsync(new Uri($"http://127.0.0.1:{httpPort}/boot/{mac}.ipxe"));
        var export = DiskUrl().Match(script).Groups["export"].Value;
        Assert.That(export, Does.Match($"^node-os\\.v1@{mac.Replace(":", "", StringComparison.Ordinal)}~[a-z2-7]+$"), script);
        return export;
    }

    /// <summary>The export the script sanboots (the console line before it shows the URL without its key).</summary>
    [GeneratedRegex(@"sanboot --no-describe \S+/disk/(?<export>\S+)")]
    private static partial Regex DiskUrl();

    [GeneratedRegex(@"sanhook --no-describe --drive \S+ (?<url>\S+)")]
    private static partial Regex SanhookUrl();

    [GeneratedRegex(@"chain --replace --autofree (?<url>\S+/deploy-done\S*)")]
    private static partial Regex DeployDoneUrl();
}

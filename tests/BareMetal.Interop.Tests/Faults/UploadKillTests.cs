using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BareMetal.TestSupport;
using Microsoft.Data.Sqlite;

namespace BareMetal.Interop.Tests.Faults;

/// <summary>
/// Issue 5, faults: `kill -9` the real server (a separate `baremetal serve` process) while a 256 MiB
/// upload streams in, and while it is being committed; restart it on the same data directory and check
/// the catalog as a user would: through the API, the files on disk, the block service and the CLI.
/// </summary>
[NonParallelizable]
public partial class UploadKillTests
{
    private const long BigBytes = 256L << 20;

    private const string BigName = "big";

    /// <summary>Where in an import the kill lands.</summary>
    public enum KillPoint
    {
        /// <summary>Body announced with Content-Length, cut at a random byte.</summary>
        MidBodyWithLength,

        /// <summary>Chunked body (no length announced), cut at a random byte.</summary>
        MidBodyChunked,

        /// <summary>
        /// Every byte received and hashed; the test holds SQLite's write lock so the commit waits
        /// (fsync, format check, then the commit's BEGIN IMMEDIATE): a deterministic kill at the commit step.
        /// </summary>
        CommitStepHeld,

        /// <summary>A random few milliseconds after the last byte left the client: tail, fsync, check, commit or done.</summary>
        AfterLastByte,
    }

    private sealed record KillOutcome(KillPoint Point, long GateAt, IReadOnlyList<long> PartsLeft, bool Answered201, string Note);

    [Test]
    public async Task KillNine_MidUploadOrAtCommit_RestartListsOnlyCompleteImages_SweepsPartials_AndKeepsEarlierImagesIntact()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var random = new Random(FaultServer.Seed(5001));
        var clock = Stopwatch.StartNew();
        using var dir = new TempDir("bm-faults");
        using var server = new FaultServer(Path.Combine(dir.Path, "data"), nbd: true);
        await server.StartAsync();
        using var api = FaultApi.Connect(server.HttpPort, await FaultApi.CreateTokenAsync(server.HttpPort, FaultServer.Password));

        // Imported before the trouble starts: it must come through every kill bit for bit.
        var earlierFile = dir.File("earlier.qcow2");
        Peer.Check(qemuImg, "create", "-f", "qcow2", earlierFile, "32M");
        Peer.Check(qemuIo, "-c", "write -P 0x5a 1M 256k", "-c", "write -P 0xa5 20M 64k", earlierFile);
        var earlierSha = Hash.Sha256File(earlierFile);
        var earlier = await api.UploadFileAsync("earlier", earlierFile);
        Assert.That(earlier["sha256"]!.GetValue<string>(), Is.EqualTo(earlierSha));

        var bigSha = PatternStream.Sha256(BigBytes);
        var bigVersions = new List<int>();
        KillPoint[] points = [KillPoint.MidBodyWithLength, KillPoint.MidBodyChunked, KillPoint.CommitStepHeld, KillPoint.AfterLastByte, (KillPoint)random.Next(4)];
        foreach (var point in points)
        {
            var outcome = await KillDuringUploadAsync(server, api, point, random);
            var orphansBefore = Orphans(server);
            await server.StartAsync();
            TestContext.Out.WriteLine($"{clock.Elapsed.TotalSeconds,6:0.0}s {outcome.Point}: gate {outcome.GateAt}, .part left {string.Join(",", outcome.PartsLeft)}, 201 {outcome.Answered201}; {outcome.Note}");
            TestContext.Out.WriteLine("  restart said: " + string.Join(" | ", server.Output.Split('\n').Where(l => l.Contains("WRN", StringComparison.Ordinal) || l.Contains("ERR", StringComparison.Ordinal)).Select(l => l.Trim())));

            // What was left behind is swept at open, and the operator is told.
            Assert.That(Directory.EnumerateFiles(server.IncomingDirectory), Is.Empty, "no .part survives a restart");
            if (outcome.PartsLeft.Count > 0)
            {
                Assert.That(server.Output, Does.Contain($"Catalog repaired at start: {outcome.PartsLeft.Count} partial upload(s) removed"));
            }
            var listing = await ListAsync(api);
            var bigNow = listing.Where(i => i.Name == BigName).Select(i => i.Version).Order().ToList();
            var committed = bigNow.Count > bigVersions.Count;
            if (outcome.PartsLeft.Count > 0)
            {
                // A .part means the rename (which precedes the commit) never happened: nothing may show.
                Assert.That(committed, Is.False, $"{point}: a partial upload must not be listed");
            }
            if (outcome.Answered201)
            {
                Assert.That(committed, Is.True, $"{point}: the server answered 201, so the image must survive the kill");
            }
            Assert.That(bigNow.Take(bigVersions.Count), Is.EqualTo(bigVersions), "earlier versions of the name stay as they were");
            if (committed)
            {
                Assert.That(bigNow, Has.Count.EqualTo(bigVersions.Count + 1));
                Assert.That(bigNow[^1], Is.EqualTo((bigVersions.Count == 0 ? 0 : bigVersions[^1]) + 1), "the next version number, no gap");
                bigVersions.Add(bigNow[^1]);
            }
            var newOrphans = Orphans(server).Except(orphansBefore).ToList();
            if (newOrphans.Count > 0)
            {
                // Killed between the rename and the commit: the file is kept aside, never listed, and said so.
                Assert.That(committed, Is.False);
                Assert.That(server.Output, Does.Contain($"{newOrphans.Count} orphan file(s) moved"));
            }
            AssertCatalogMatchesDisk(server, listing, new Dictionary<string, string> { ["earlier"] = earlierSha, [BigName] = bigSha });
            var compare = Peer.Run(qemuImg, ["compare", "-f", "qcow2", "-F", "raw", earlierFile, $"nbd://127.0.0.1:{server.NbdPort}/earlier"], TimeSpan.FromSeconds(60));
            Assert.That(compare.ExitCode, Is.EqualTo(0), "the earlier image is served unchanged after the restart: " + compare.StdOut + compare.StdErr);
        }

        // The name still works: a fresh, complete upload gets the next version.
        var smallBytes = 3L << 20;
        await using (var body = new PatternStream(smallBytes, smallBytes))
        using (var content = new StreamContent(body))
        using (var response = await api.UploadAsync(BigName, content))
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), text);
            var image = JsonNode.Parse(text)!;
            Assert.That(image["version"]!.GetValue<int>(), Is.EqualTo((bigVersions.Count == 0 ? 0 : bigVersions[^1]) + 1));
            Assert.That(image["sha256"]!.GetValue<string>(), Is.EqualTo(PatternStream.Sha256(smallBytes)));
        }

        // `image verify` (our checker) and qemu-img check agree that every catalog file is sound.
        foreach (var file in Directory.EnumerateFiles(server.ImagesDirectory))
        {
            var verify = Cli.Run("image", "verify", file);
            Assert.That(verify.ExitCode, Is.EqualTo(0), $"baremetal image verify {file}: {verify.StdOut}{verify.StdErr}");
        }
        Assert.That(Peer.Run(qemuImg, ["check", Path.Combine(server.ImagesDirectory, "earlier.v1.qcow2")]).ExitCode, Is.EqualTo(0));
        Assert.That(server.Stop(), Is.EqualTo(0));
        TestContext.Out.WriteLine($"{clock.Elapsed.TotalSeconds:0.0}s in all; {bigVersions.Count} of {points.Length} killed imports had committed");
    }

    private static async Task<KillOutcome> KillDuringUploadAsync(FaultServer server, FaultApi api, KillPoint point, Random random)
    {
        var midBody = point is KillPoint.MidBodyWithLength or KillPoint.MidBodyChunked;
        // A multiple of the copy buffer: HttpClient keeps a short last write (and a chunk's framing) in
        // its own send buffer, so a gate in the middle of a buffer would hold back bytes the server never gets.
        const int copyBuffer = 1 << 16;
        var gateAt = midBody ? random.NextInt64(BigBytes / 20 / copyBuffer, BigBytes * 19 / 20 / copyBuffer) * copyBuffer : BigBytes;
        var body = new PatternStream(BigBytes, gateAt);
        var content = new StreamContent(body, copyBuffer);
        if (point != KillPoint.MidBodyChunked)
        {
            content.Headers.ContentLength = BigBytes;
        }
        var upload = api.UploadAsync(BigName, content);
        SqliteConnection? holder = null;
        var note = "";
        try
        {
            if (point == KillPoint.CommitStepHeld)
            {
                // After authentication (which may write the token's last use), before the commit.
                await WaitForPartAsync(server, 1, upload, body);
                holder = new SqliteConnection($"Data Source={Path.Combine(server.DataDirectory, "baremetal.db")};Pooling=False");
                holder.Open();
                using var begin = holder.CreateCommand();
                begin.CommandText = "BEGIN IMMEDIATE";
                begin.ExecuteNonQuery();
            }
            if (point == KillPoint.AfterLastByte)
            {
                await body.ReachedGate.WaitAsync(TimeSpan.FromSeconds(90));
                // Mostly within the fsync/check window; now and then late enough for the commit to be done.
                var delay = random.Next(3) == 0 ? random.Next(40, 1500) : random.Next(0, 40);
                await Task.Delay(delay);
                note = $"killed {delay} ms after the last byte left the client";
            }
            else
            {
                var reached = await WaitForPartAsync(server, gateAt, upload, body);
                Assert.That(reached, Is.True, $"{point}: the server never wrote {gateAt} bytes of the upload: {server.Output}");
                if (point == KillPoint.CommitStepHeld)
                {
                    var delay = random.Next(0, 300);
                    await Task.Delay(delay);
                    note = $"all {BigBytes} bytes on disk, commit held by the test's write lock, killed {delay} ms later";
                }
                else
                {
                    note = $"body cut after {gateAt} of {BigBytes} bytes";
                }
            }
            server.Kill();
        }
        finally
        {
            if (holder is not null)
            {
                await holder.DisposeAsync();
            }
        }
        var parts = Directory.EnumerateFiles(server.IncomingDirectory, "*.part").Select(p => new FileInfo(p).Length).ToList();
        // A client parked in its own body never reads the socket: let it go now that the server is dead.
        body.Cut();
        var answered = false;
        try
        {
            using var response = await upload.WaitAsync(TimeSpan.FromSeconds(30));
            answered = response.StatusCode == HttpStatusCode.Created;
            // A server that answers before it dies has finished the import; anything but 201 is a refusal we did not ask for.
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), $"{point}: {await response.Content.ReadAsStringAsync()}");
        }
        catch (HttpRequestException)
        {
            // The connection died with the server: what a client of a crashed server sees.
        }
        catch (IOException)
        {
        }
        finally
        {
            content.Dispose();
            await body.DisposeAsync();
        }
        if (midBody)
        {
            Assert.That(parts, Is.EqualTo(new[] { gateAt }), $"{point}: the kill leaves exactly the bytes received so far in one .part");
        }
        else if (point == KillPoint.CommitStepHeld)
        {
            Assert.That(parts, Is.EqualTo(new[] { BigBytes }), "killed while the commit waited: the whole .part is left, not yet renamed");
        }
        return new KillOutcome(point, gateAt, parts, answered, note);
    }

    /// <summary>Polls until the upload's .part file holds <paramref name="bytes"/> bytes; false if the upload ended first.</summary>
    private static async Task<bool> WaitForPartAsync(FaultServer server, long bytes, Task upload, PatternStream body)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            if (Directory.Exists(server.IncomingDirectory)
                && Directory.EnumerateFiles(server.IncomingDirectory, "*.part").Any(p => new FileInfo(p).Length >= bytes))
            {
                return true;
            }
            if (upload.IsCompleted)
            {
                return false;
            }
            await Task.Delay(2);
        }
        var parts = string.Join(",", Directory.EnumerateFiles(server.IncomingDirectory, "*.part").Select(p => new FileInfo(p).Length));
        Assert.Fail($"the upload's .part did not reach {bytes} bytes within 90 s (.part {parts}; the client handed out {body.Position}): {server.Output}");
        return false;
    }

    private sealed record Listed(string Name, int Version, string ExportName, string Sha256, long VirtualSize, string Status);

    private static async Task<List<Listed>> ListAsync(FaultApi api)
    {
        var list = (await api.GetAsync("api/v1/images"))!.AsArray();
        return [.. list.Select(i => new Listed(i!["name"]!.GetValue<string>(), i["version"]!.GetValue<int>(), i["exportName"]!.GetValue<string>(),
            i["sha256"]!.GetValue<string>(), i["virtualSize"]!.GetValue<long>(), i["status"]!.GetValue<string>()))];
    }

    /// <summary>
    /// Every listed image is ready, has exactly one file whose SHA-256 is the recorded one (and the one
    /// uploaded), and every catalog-named file in data/images belongs to a listed image.
    /// </summary>
    private static void AssertCatalogMatchesDisk(FaultServer server, List<Listed> listing, Dictionary<string, string> uploadedSha)
    {
        var files = Directory.EnumerateFiles(server.ImagesDirectory).Select(Path.GetFileName).Select(f => f!).ToList();
        foreach (var image in listing)
        {
            Assert.That(image.Status, Is.EqualTo("ready"), image.ExportName);
            var mine = files.Where(f => f.StartsWith(image.ExportName + ".", StringComparison.Ordinal)).ToList();
            Assert.That(mine, Has.Count.EqualTo(1), $"{image.ExportName}: one file in data/images");
            var sha = Hash.Sha256File(Path.Combine(server.ImagesDirectory, mine[0]));
            Assert.That(sha, Is.EqualTo(image.Sha256), $"{image.ExportName}: the file is what the catalog recorded");
            if (image.Name == BigName && image.VirtualSize == BigBytes)
            {
                Assert.That(sha, Is.EqualTo(uploadedSha[BigName]), "a committed big upload is the whole body");
            }
            else if (image.Name != BigName)
            {
                Assert.That(sha, Is.EqualTo(uploadedSha[image.Name]));
            }
        }
        foreach (var file in files.Where(f => CatalogFile().IsMatch(f)))
        {
            Assert.That(listing.Any(i => file.StartsWith(i.ExportName + ".", StringComparison.Ordinal)), Is.True, $"{file} in data/images has no catalog row");
        }
    }

    private static List<string> Orphans(FaultServer server)
    {
        var dir = Path.Combine(server.ImagesDirectory, ".orphans");
        return Directory.Exists(dir) ? [.. Directory.EnumerateFiles(dir).Select(Path.GetFileName).Select(f => f!)] : [];
    }

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]*\.v[0-9]+\.(img|qcow2|vhd|vhdx|vmdk|iso)$")]
    private static partial Regex CatalogFile();
}

using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Web;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Isolation;

/// <summary>
/// Issue 16 with the real clients a tenant or a stranger would use, against the whole server on loopback
/// with its own address verifier. Node A is pinned at 127.0.0.1, where the peers run, so they are A;
/// node B is pinned at 127.0.0.5, so the same peers are strangers to B even with B's key. qemu-img,
/// qemu-io, nbdcopy and nbdinfo read and write A's disk through its keyed name; nbdinfo --list shows no
/// node's export; nbdsh, qemu-img and curl get "no such export" for B's disk (keyed or not) and for an
/// invented overlay, and no file appears; curl from 127.0.0.2 gets 403 for A's script and callbacks.
/// </summary>
[NonParallelizable]
public partial class IsolationPeerTests
{
    private const string MacA = "52:54:00:16:00:0a";
    private const string MacB = "52:54:00:16:00:0b";

    [Test]
    public async Task RealClients_OpenOnlyTheirOwnNodesDisk_AndStrangersGetNothing()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var nbdinfo = Peer.Require("nbdinfo", "libnbd-bin");
        var nbdcopy = Peer.Require("nbdcopy", "libnbd-bin");
        Peer.Require("nbdsh", "python3-libnbd");
        // nbdsh is "python3 -m nbd"; Debian's python3 has the module (a pyenv one may not).
        var python = Peer.Find("/usr/bin/python3") ?? Peer.Require("python3", "python3");
        var curl = Peer.Require("curl", "curl");
        using var dir = new TempDir("isolation-peers");
        await using var server = new BareMetalServer(new ServeOptions
        {
            DataDirectory = dir.Path,
            Http = new IPEndPoint(IPAddress.Loopback, 0),
            Nbd = new IPEndPoint(IPAddress.Loopback, 0),
            Tftp = null,
            Iscsi = null,
            AdminPassword = "isolation-peers-password",
            LogToConsole = false,
            PasswordIterations = 1000,
            ProgressInterval = Timeout.InfiniteTimeSpan,
        });
        await server.StartAsync(CancellationToken.None);
        var db = server.Database;
        var image = dir.File("tiny.raw");
        var bytes = new byte[4 << 20];
        Random.Shared.NextBytes(bytes.AsSpan(0, 1 << 20));
        await File.WriteAllBytesAsync(image, bytes);
        await using (var s = File.OpenRead(image))
        {
            await db.Catalog.ImportStreamAsync(s, s.Length, new BareMetal.ImageStore.Catalog.ImageImportRequest("tiny"));
        }
        foreach (var (mac, ip) in new[] { (MacA, "127.0.0.1"), (MacB, "127.0.0.5") })
        {
            await db.Nodes.AddAsync(new NewNode(mac, IpAddress: ip));
            await db.Nodes.AssignAsync(mac, new NodeAssignment("tiny", null, NodeMode.Stream));
        }
        var http = server.HttpAddress!.ToString().TrimEnd('/');
        var nbd = $"nbd://127.0.0.1:{server.NbdEndPoint!.Port}";
        string Curl(params string[] args)
        {
            var r = Peer.Run(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", .. args], TimeSpan.FromSeconds(30));
            return r.StdOut.Trim();
        }

        // Node A (the peers' own address) fetches its script: the keyed disk name is in it.
        var scriptA = Peer.Run(curl, ["-fsS", $"{http}/boot/{MacA}.ipxe"], TimeSpan.FromSeconds(30));
        Assert.That(scriptA.ExitCode, Is.EqualTo(0), scriptA.StdErr);
        var exportA = KeyedDisk().Match(scriptA.StdOut).Groups["export"].Value;
        Assert.That(exportA, Does.StartWith("tiny.v1@52540016000a~"), scriptA.StdOut);
        // B's key, as a leak would give it (the server's own keys; B's script is not ours to fetch).
        var keyB = server.Database.Keys.ExportKey(MacB, (await db.Deployments.RecordAsync(MacB,
            new BareMetal.Provisioning.Core.Deployments.DeploymentEvent(BareMetal.Provisioning.Core.Deployments.DeploymentEventKind.BootScriptFetched))).Deployment!.Id);

        // A's disk through every real client, by its keyed name.
        var info = Peer.Run(qemuImg, ["info", "--output=json", $"{nbd}/{exportA}"], TimeSpan.FromSeconds(60));
        Assert.That(info.ExitCode, Is.EqualTo(0), info.StdErr);
        var write = Peer.Run(qemuIo, ["-f", "raw", "-c", "write -P 0x5a 1M 64k", $"{nbd}/{exportA}"], TimeSpan.FromSeconds(60));
        Assert.That(write.ExitCode, Is.EqualTo(0), write.StdErr);
        var copy = dir.File("a.raw");
        var copied = Peer.Run(nbdcopy, [$"{nbd}/{exportA}", copy], TimeSpan.FromSeconds(60));
        Assert.That(copied.ExitCode, Is.EqualTo(0), copied.StdErr);
        var expected = (byte[])bytes.Clone();
        expected.AsSpan((1 << 20), 65536).Fill(0x5a);
        var expectedFile = dir.File("expected.raw");
        await File.WriteAllBytesAsync(expectedFile, expected);
        Assert.That(Hash.Sha256File(copy), Is.EqualTo(Hash.Sha256File(expectedFile)), "A reads back what A wrote over the image");
        Assert.That(Curl("-r", "0-511", $"{http}/disk/{exportA}"), Is.EqualTo("206"));

        // Listing shows the images, never a node's export.
        var list = Peer.Run(nbdinfo, ["--list", "--json", nbd], TimeSpan.FromSeconds(60));
        Assert.That(list.ExitCode, Is.EqualTo(0), list.StdErr);
        Assert.That(list.StdOut, Does.Contain("\"tiny.v1\"").And.Not.Contain("@"));

        // B's disk, by name, with B's stolen key, and an invented overlay: no such export, for every client.
        var overlaysBefore = Directory.GetFiles(Path.Combine(dir.Path, "overlays")).Length;
        foreach (var name in new[] { "tiny.v1@52540016000b", $"tiny.v1@52540016000b~{keyB}", "tiny.v1@52540016ffff", $"tiny@52540016000b~{keyB}" })
        {
            var sh = Peer.Run(python, ["-m", "nbd", "-u", $"{nbd}/{name}", "-c", "print(h.get_size())"], TimeSpan.FromSeconds(30));
            Assert.That(sh.ExitCode, Is.Not.EqualTo(0), name);
            Assert.That(sh.StdErr, Does.Contain($"server has no export named '{name}'"), name);
            var qi = Peer.Run(qemuImg, ["info", $"{nbd}/{name}"], TimeSpan.FromSeconds(30));
            Assert.That(qi.ExitCode, Is.Not.EqualTo(0), name);
            Assert.That(Curl("-r", "0-511", $"{http}/disk/{name}"), Is.EqualTo("404"), name);
        }
        Assert.That(Directory.GetFiles(Path.Combine(dir.Path, "overlays")).Length, Is.EqualTo(overlaysBefore), "no overlay file was made");

        // A stranger at 127.0.0.2 (curl binds it): no script, no callback, even with A's key.
        var keyA = exportA[(exportA.IndexOf('~', StringComparison.Ordinal) + 1)..];
        Assert.That(Curl("--interface", "127.0.0.2", $"{http}/boot/{MacA}.ipxe"), Is.EqualTo("403"));
        Assert.That(Curl("--interface", "127.0.0.2", $"{http}/boot/{MacA}/deploy-done?key={keyA}"), Is.EqualTo("403"));
        Assert.That(Curl("--interface", "127.0.0.2", "-X", "POST", $"{http}/boot/{MacA}/os-up?key={keyA}"), Is.EqualTo("403"));
        Assert.That(Curl("--interface", "127.0.0.2", "-r", "0-511", $"{http}/disk/{exportA}"), Is.EqualTo("404"), "A's stolen key from another address");
        Assert.That(Curl("--interface", "127.0.0.2", "-r", "0-511", $"{http}/disk/tiny.v1"), Is.EqualTo("206"), "base images stay readable");

        // Each refusal is in the audit log, from where it came.
        using var admin = new HttpClient { BaseAddress = server.HttpAddress };
        var login = await admin.PostAsJsonAsync("/api/v1/session", new { password = "isolation-peers-password" });
        var csrf = (await login.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("csrfToken").GetString();
        admin.DefaultRequestHeaders.Add("Cookie", login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("baremetal_session=", StringComparison.Ordinal)).Split(';')[0]);
        admin.DefaultRequestHeaders.Add("X-CSRF-Token", csrf);
        var audit = await admin.GetStringAsync("/api/v1/audit?outcome=refused&limit=1000");
        Assert.That(audit, Does.Contain("\"source\":\"127.0.0.2\"").And.Contain("\"action\":\"boot-script\"").And.Contain("\"action\":\"export.open.nbd\""));
        Assert.That(audit, Does.Not.Contain(keyA).And.Not.Contain(keyB), "keys never reach the log");
    }

    [GeneratedRegex(@"sanboot --no-describe \S+/disk/(?<export>\S+)")]
    private static partial Regex KeyedDisk();
}

using System.Net;
using System.Text.RegularExpressions;
using BareMetal.Interop.Tests.Dhcp;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Web;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Isolation;

/// <summary>
/// Issue 16's hostile node on the same segment, with the real kernel deciding who is who. In a network
/// namespace, the honest node gets its address from our full DHCP (busybox udhcpc) and then does what iPXE
/// does over HTTP (curl: its script, its keyed disk) and what a Linux node does over NBD (nbdinfo). A
/// hostile host sits on the same link (a macvlan on the same veth, in a namespace of its own, with its
/// own MAC and a static address): with the honest node's stolen key and MAC in hand it still gets no
/// script, no disk, no callback and no overlay, because our lease and the server's neighbour table say
/// whose address it is. Every refusal is in the audit log with the hostile address.
/// </summary>
[NonParallelizable]
public partial class IsolationNamespaceTests
{
    [Test]
    public async Task AHostileHostOnTheSameLink_WithTheNodesKey_GetsNothing_WhileTheNodeStreams()
    {
        var curl = Peer.Require("curl", "curl");
        var nbdinfo = Peer.Require("nbdinfo", "libnbd-bin");
        Peer.Require("busybox", "busybox");
        using var ns = NetworkNamespace.CreateWithVeth();
        var net = $"10.213.{ns.Subnet}";
        using var dir = new TempDir("isolation-ns");
        var image = dir.File("tiny.raw");
        var bytes = new byte[4 << 20];
        Random.Shared.NextBytes(bytes.AsSpan(0, 1 << 20));
        await File.WriteAllBytesAsync(image, bytes);
        await using var server = new BareMetalServer(NamespaceServe.Options(ns, dir.Path, "isolation-ns-password") with
        {
            Nbd = new IPEndPoint(IPAddress.Parse(ns.HostAddress), 0),
            Dhcp = DhcpMode.Full,
            DhcpInterface = ns.HostInterface,
            DhcpRange = (IPAddress.Parse($"{net}.100"), IPAddress.Parse($"{net}.110")),
        });
        await server.StartAsync(CancellationToken.None);
        await using (var s = File.OpenRead(image))
        {
            await server.Database.Catalog.ImportStreamAsync(s, s.Length, new BareMetal.ImageStore.Catalog.ImageImportRequest("tiny"));
        }
        var mac = Macs.Require(ns.Exec("/bin/cat", $"/sys/class/net/{ns.ClientInterface}/address").StdOut.Trim());
        await server.Database.Nodes.AddAsync(new NewNode(mac));
        await server.Database.Nodes.AssignAsync(mac, new NodeAssignment("tiny", null, NodeMode.Stream));

        // The honest node: a lease from our DHCP, the address on its interface, then iPXE's requests.
        var lease = Udhcpc.Lease(ns, dir, "node", null);
        Assert.That(ns.Exec(NetworkNamespace.Ip, "addr", "add", $"{lease["ip"]}/24", "dev", ns.ClientInterface).ExitCode, Is.EqualTo(0));
        var http = $"http://{ns.HostAddress}:{server.HttpAddress!.Port}";
        var script = ns.Exec(curl, "-fsS", $"{http}/boot/{mac}.ipxe");
        Assert.That(script.ExitCode, Is.EqualTo(0), script.StdErr);
        var export = KeyedDisk().Match(script.StdOut).Groups["export"].Value;
        var key = export[(export.IndexOf('~', StringComparison.Ordinal) + 1)..];
        Assert.That(export, Does.StartWith("tiny.v1@" + Macs.Compact(mac) + "~"), script.StdOut);
        Assert.That(Code(ns.Exec(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-r", "0-511", $"{http}/disk/{export}")), Is.EqualTo("206"));
        var nbd = $"nbd://{ns.HostAddress}:{server.NbdEndPoint!.Port}";
        var size = ns.Exec(nbdinfo, "--size", $"{nbd}/{export}");
        Assert.That((size.ExitCode, size.StdOut.Trim()), Is.EqualTo((0, (4 << 20).ToString(System.Globalization.CultureInfo.InvariantCulture))), size.StdErr);

        // The hostile host: its own namespace, a macvlan on the node's link, a static address.
        var hostile = $"bmhx{ns.Name[6..]}";
        using var evil = new HostileHost(ns, hostile, $"{net}.66");
        Assert.That(evil.Mac, Is.Not.EqualTo(mac));
        string Status(params string[] args) => Code(evil.Exec(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", .. args]));
        Assert.Multiple(() =>
        {
            Assert.That(Status($"{http}/boot/{mac}.ipxe"), Is.EqualTo("403"), "the node's script");
            Assert.That(Status("-r", "0-511", $"{http}/disk/{export}"), Is.EqualTo("404"), "its disk, with its stolen key");
            Assert.That(Status("-r", "0-511", $"{http}/disk/tiny.v1@{Macs.Compact(mac)}"), Is.EqualTo("404"), "its disk, no key");
            Assert.That(Status($"{http}/boot/{mac}/deploy-done?key={key}"), Is.EqualTo("403"), "moving its deployment");
            Assert.That(Status("-X", "POST", $"{http}/boot/{mac}/os-up?key={key}"), Is.EqualTo("403"));
            Assert.That(Status("-r", "0-511", $"{http}/disk/tiny.v1@525400ffff66"), Is.EqualTo("404"), "an overlay of its own making");
            Assert.That(Status("-r", "0-511", $"{http}/disk/tiny.v1"), Is.EqualTo("206"), "base images stay readable");
        });
        var stolen = evil.Exec(nbdinfo, "--size", $"{nbd}/{export}");
        Assert.That(stolen.ExitCode, Is.Not.EqualTo(0));
        Assert.That(stolen.StdErr, Does.Contain("server has no export named"));
        var list = evil.Exec(nbdinfo, "--list", "--json", nbd);
        Assert.That(list.StdOut, Does.Contain("\"tiny.v1\"").And.Not.Contain("@"), list.StdErr);
        Assert.That(Directory.GetFiles(Path.Combine(dir.Path, "overlays")).Where(f => f.Contains("ffff66", StringComparison.Ordinal)), Is.Empty);

        // The node still streams, and the audit log names the hostile address for each refusal.
        Assert.That(Code(ns.Exec(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", "-r", "512-1023", $"{http}/disk/{export}")), Is.EqualTo("206"));
        await server.Audit.FlushAsync();
        var refused = await server.Database.Audit.ListAsync(limit: 1000, outcome: BareMetal.Provisioning.Core.Audit.AuditOutcome.Refused);
        var fromEvil = refused.Where(e => e.Record.Source == $"{net}.66").Select(e => e.Record.Action).ToHashSet();
        Assert.That(fromEvil, Is.SupersetOf(new[] { "boot-script", "export.open.http", "export.open.nbd", "deploy-done", "os-up" }));
        Assert.That(refused.Any(e => e.Record.Detail?.Contains($"{net}.66 is not node {mac}'s address", StringComparison.Ordinal) == true), Is.True,
            "the neighbour table gave the hostile address another MAC");
    }

    private static string Code(PeerResult r) => r.StdOut.Trim();

    [GeneratedRegex(@"sanboot --no-describe \S+/disk/(?<export>\S+)")]
    private static partial Regex KeyedDisk();

    /// <summary>A macvlan on the node namespace's veth, moved into a namespace of its own with a static address.</summary>
    private sealed class HostileHost : IDisposable
    {
        private readonly string _ns;

        public HostileHost(NetworkNamespace beside, string name, string address)
        {
            _ns = name;
            var ip = NetworkNamespace.Ip;
            Run(ip, "netns", "add", _ns);
            beside.Exec(ip, "link", "add", "link", beside.ClientInterface, "name", name, "type", "macvlan", "mode", "bridge");
            beside.Exec(ip, "link", "set", name, "netns", _ns);
            Exec(ip, "link", "set", "lo", "up");
            Exec(ip, "addr", "add", $"{address}/24", "dev", name);
            Exec(ip, "link", "set", name, "up");
            Mac = Macs.Require(Exec("/bin/cat", $"/sys/class/net/{name}/address").StdOut.Trim());
        }

        public string Mac { get; }

        public PeerResult Exec(string file, params string[] args) =>
            Peer.Run(NetworkNamespace.Ip, ["netns", "exec", _ns, file, .. args], TimeSpan.FromSeconds(30));

        public void Dispose() => Peer.Run(NetworkNamespace.Ip, ["netns", "del", _ns], TimeSpan.FromSeconds(10));

        private static void Run(string file, params string[] args)
        {
            var r = Peer.Run(file, args, TimeSpan.FromSeconds(10));
            if (r.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {r.StdErr}");
            }
        }
    }
}

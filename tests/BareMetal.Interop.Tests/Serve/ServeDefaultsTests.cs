using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Serve;

/// <summary>
/// `baremetal serve` on its defaults, as a user first starts it: it listens on 127.0.0.1 only (nothing
/// reaches the network until a flag says so), and a first run prints a generated admin password once.
/// </summary>
public sealed partial class ServeDefaultsTests
{
    private const string Ready = "press Ctrl-C to stop";

    /// <summary>
    /// No --http, --tftp, --nbd or --iscsi: in a private network namespace (so the default ports cannot
    /// clash with anything else on the machine, and every socket there is serve's), the sockets it opens,
    /// read from /proc/PID/net, are all on 127.0.0.1, and the endpoints it prints say so.
    /// </summary>
    [Test]
    public async Task Serve_WithoutAddressFlags_ListensOnLoopbackOnly()
    {
        var unshare = Peer.Require("unshare", "util-linux");
        Peer.Require("ip", "iproute2");
        using var dir = new TempDir();
        // Root needs only a network namespace; anyone else maps themselves to root in a user namespace first.
        string[] ns = Environment.UserName == "root" ? ["--net"] : ["--map-root-user", "--net"];
        using var server = ServeProcess.StartUnder([unshare, .. ns, "sh", "-c", "ip link set lo up && exec \"$@\"", "sh"], dir.Path);
        await server.WaitForOutputAsync(Ready);

        var output = server.Output;
        Assert.Multiple(() =>
        {
            Assert.That(output, Does.Contain("http://127.0.0.1:8080"), output);
            Assert.That(output, Does.Contain("127.0.0.1:6969/udp"), output);
            Assert.That(output, Does.Contain("nbd://127.0.0.1:10809/"), output);
            Assert.That(output, Does.Contain("iscsi://127.0.0.1:3260/"), output);
            Assert.That(output, Does.Not.Contain("0.0.0.0").And.Not.Contain("[::]"), output);
        });

        var tcp = Sockets(server.ProcessId, "tcp", listeningOnly: true);
        var udp = Sockets(server.ProcessId, "udp", listeningOnly: false);
        Assert.Multiple(() =>
        {
            Assert.That(tcp, Is.SupersetOf(new[] { "127.0.0.1:8080", "127.0.0.1:10809", "127.0.0.1:3260" }));
            Assert.That(udp, Does.Contain("127.0.0.1:6969"));
            Assert.That(tcp.Concat(udp), Has.All.StartWith("127.0.0.1:"), "a socket off the loopback address");
            Assert.That(Sockets(server.ProcessId, "tcp6", listeningOnly: true).Concat(Sockets(server.ProcessId, "udp6", listeningOnly: false)), Is.Empty, "an IPv6 socket");
        });
        Assert.That(server.Stop(), Is.EqualTo(0));
    }

    [Test]
    public async Task Serve_FirstRun_PrintsAGeneratedAdminPasswordOnce_AndItLogsIn()
    {
        using var dir = new TempDir();
        var port = ServeSmokeTests.FreeTcpPort();
        string password;
        using (var first = ServeProcess.Start(dir.Path, "--http", $"127.0.0.1:{port}", "--tftp", "off", "--nbd", "off", "--iscsi", "off"))
        {
            await first.WaitForOutputAsync(Ready);
            var shown = GeneratedPassword().Matches(first.Output);
            Assert.That(shown, Has.Count.EqualTo(1), first.Output);
            password = shown[0].Groups[1].Value;
            Assert.That(password, Has.Length.GreaterThanOrEqualTo(20), "a generated password worth the name");
            Assert.That(await LoginAsync(port, password), Is.EqualTo(HttpStatusCode.OK), "the printed password is the admin password");
            Assert.That(first.Stop(), Is.EqualTo(0));
        }
        foreach (var log in Directory.GetFiles(Path.Combine(dir.Path, "logs"), "*", SearchOption.AllDirectories))
        {
            Assert.That(File.ReadAllText(log), Does.Not.Contain(password), $"the password reached {log}");
        }

        port = ServeSmokeTests.FreeTcpPort();
        using var second = ServeProcess.Start(dir.Path, "--http", $"127.0.0.1:{port}", "--tftp", "off", "--nbd", "off", "--iscsi", "off");
        await second.WaitForOutputAsync(Ready);
        Assert.That(second.Output, Does.Not.Contain("admin password").And.Not.Contain(password), "the second start shows no password");
        Assert.That(await LoginAsync(port, password), Is.EqualTo(HttpStatusCode.OK), "the first run's password still works");
        Assert.That(second.Stop(), Is.EqualTo(0));
    }

    private static async Task<HttpStatusCode> LoginAsync(int port, string password)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var login = await http.PostAsJsonAsync("/api/v1/session", new { password });
        return login.StatusCode;
    }

    /// <summary>
    /// "127.0.0.1:8080" for each IPv4 socket in /proc/PID/net/{tcp,udp} (or a raw hex address for
    /// tcp6/udp6): the sockets of the network namespace the process is in. TCP state 0A is LISTEN.
    /// </summary>
    private static List<string> Sockets(int pid, string table, bool listeningOnly) =>
        [.. File.ReadAllLines($"/proc/{pid}/net/{table}").Skip(1)
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(f => !listeningOnly || f[3] == "0A")
            .Select(f => f[1].Split(':'))
            .Select(a => a[0].Length == 8
                ? $"{new IPAddress(uint.Parse(a[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture))}:{int.Parse(a[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture)}"
                : $"{a[0]}:{a[1]}")];

    [GeneratedRegex(@"admin password \(first run, shown once\): (\S+)")]
    private static partial Regex GeneratedPassword();
}

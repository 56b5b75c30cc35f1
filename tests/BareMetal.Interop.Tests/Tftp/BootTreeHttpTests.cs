using System.Net;
using BareMetal.Provisioning.Web;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Tftp;

/// <summary>
/// The TFTP tree's subpaths over HTTP (<c>/boot/debian-installer/amd64/linux</c>), fetched with curl from the
/// whole server on loopback, and every way out of the jail tried with <c>--path-as-is</c> so curl sends the
/// bytes as written: each is a 400 or 404, and no byte from outside the root comes back.
/// </summary>
[NonParallelizable]
public class BootTreeHttpTests
{
    [Test]
    public async Task Curl_FetchesASubpathOfTheTftpTree_AndEveryEscapeIs400Or404()
    {
        var curl = Peer.Require("curl", "curl");
        using var dir = new TempDir("boot-tree");
        var tree = Directory.CreateDirectory(Path.Combine(dir.Path, "tftp", "debian-installer", "amd64")).FullName;
        var kernel = new byte[3 << 20];
        new Random(18).NextBytes(kernel);
        await File.WriteAllBytesAsync(Path.Combine(tree, "linux"), kernel);
        await File.WriteAllTextAsync(Path.Combine(dir.Path, "secret.txt"), "OUTSIDE-THE-ROOT");
        File.CreateSymbolicLink(Path.Combine(tree, "escape"), Path.Combine(dir.Path, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(tree, "up"), dir.Path);
        await using var server = new BareMetalServer(new ServeOptions
        {
            DataDirectory = dir.Path,
            Http = new IPEndPoint(IPAddress.Loopback, 0),
            Tftp = null,
            Nbd = null,
            Iscsi = null,
            AdminPassword = "boot-tree-password",
            LogToConsole = false,
            PasswordIterations = 1000,
            ProgressInterval = Timeout.InfiniteTimeSpan,
        });
        await server.StartAsync(CancellationToken.None);
        var baseUrl = server.HttpAddress!.ToString().TrimEnd('/');

        var saved = dir.File("linux.out");
        var get = Peer.Run(curl, ["-sS", "-f", "-o", saved, $"{baseUrl}/boot/debian-installer/amd64/linux"], TimeSpan.FromSeconds(60));
        Assert.That(get.ExitCode, Is.Zero, get.StdErr);
        Assert.That(Hash.Sha256File(saved), Is.EqualTo(Hash.Sha256File(Path.Combine(tree, "linux"))));
        var head = Peer.Run(curl, ["-sS", "-I", $"{baseUrl}/boot/debian-installer/amd64/linux"], TimeSpan.FromSeconds(30));
        Assert.That(head.StdOut, Does.StartWith("HTTP/1.1 200").And.Contain($"Content-Length: {kernel.Length}"));

        foreach (var path in new[]
        {
            "/boot/debian-installer/../../secret.txt",
            "/boot/debian-installer/%2e%2e/%2e%2e/secret.txt",
            "/boot/debian-installer/%2E%2E%2F%2E%2E%2Fsecret.txt",
            "/boot/debian-installer/..%5c..%5csecret.txt",
            "/boot/debian-installer/amd64/escape",
            "/boot/debian-installer/amd64/up/secret.txt",
            "/boot/debian-installer/amd64//" + dir.Path.TrimStart('/') + "/secret.txt",
            "/boot/debian-installer/amd64/linux%00.txt",
            "/boot/debian-installer/amd64/",
            "/boot/debian-installer/amd64/nothing-here",
        })
        {
            var r = Peer.Run(curl, ["-sS", "--path-as-is", "-o", "-", "-w", "\n%{http_code}", baseUrl + path], TimeSpan.FromSeconds(30));
            var lines = r.StdOut.TrimEnd().Split('\n');
            TestContext.Progress.WriteLine($"{path} -> {lines[^1]} {(lines.Length > 1 ? lines[0] : "")}");
            Assert.That(lines[^1], Is.AnyOf("400", "404"), $"{path}: {r.StdOut}");
            Assert.That(r.StdOut, Does.Not.Contain("OUTSIDE-THE-ROOT"), path);
        }
    }
}

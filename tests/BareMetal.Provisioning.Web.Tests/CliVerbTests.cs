using System.Net;
using System.Text.Json;
using BareMetal.ImageStore.Nbd.Client;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// The CLI's API verbs against the whole server on a real loopback Kestrel port (and NBD, for a node
/// that writes to its overlay). Console output is captured, so these run one at a time.
/// </summary>
[NonParallelizable]
public sealed class CliVerbTests
{
    private ApiHost _host = null!;
    private string _token = null!;
    private string _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _host = await ApiHost.StartAsync(o => o with { Nbd = new IPEndPoint(IPAddress.Loopback, 0) }, testServer: false);
        _token = await _host.CreateTokenAsync("cli");
        _server = _host.Server.HttpAddress!.ToString();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _host.DisposeAsync();

    private static Task<(int Code, string Out, string Err)> RunAsync(params string[] args) => CliCapture.RunAsync(args);

    [Test]
    public async Task Upload_Import_List_Assign_NodeList()
    {
        var local = _host.WriteRawImage("cli-up.img");
        var up = await RunAsync("image", "import", "--upload", local, "--name", "cliup", "--label", "CLI upload", "--server", _server, "--token", _token);
        Assert.That(up.Code, Is.EqualTo(0), up.Err);
        Assert.That(up.Out, Does.StartWith("imported cliup version 1: raw, 2 MiB virtual"));

        var onServer = Path.Combine(_host.DataDirectory, "import", "cli-path.img");
        File.Copy(local, onServer);
        var imp = await RunAsync("image", "import", onServer, "--json", "--server", _server, "--token", _token);
        Assert.That(imp.Code, Is.EqualTo(0), imp.Err);
        Assert.That(JsonDocument.Parse(imp.Out).RootElement.GetProperty("name").GetString(), Is.EqualTo("cli-path"));

        var list = await RunAsync("image", "list", "--server", _server, "--token", _token);
        Assert.That(list.Code, Is.EqualTo(0), list.Err);
        Assert.That(list.Out, Does.StartWith("NAME").And.Contain("cliup").And.Contain("CLI upload").And.Contain("cli-path"));
        var json = await RunAsync("image", "list", "--json", "--server", _server, "--token", _token);
        Assert.That(JsonDocument.Parse(json.Out).RootElement.GetArrayLength(), Is.GreaterThanOrEqualTo(2));

        await _host.RegisterNodeAsync("52:54:00:c1:10:01");
        var assign = await RunAsync("node", "assign", "52:54:00:c1:10:01", "cliup", "--mode", "stream", "--server", _server, "--token", _token);
        Assert.That(assign.Code, Is.EqualTo(0), assign.Err);
        Assert.That(assign.Out.Trim(), Is.EqualTo("node 52:54:00:c1:10:01: cliup (stream)"));

        var nodes = await RunAsync("node", "list", "--server", _server, "--token", _token);
        Assert.That(nodes.Out, Does.Contain("52:54:00:c1:10:01").And.Contain("cliup").And.Contain("stream"));
        var nodesJson = await RunAsync("node", "list", "--json", "--server", _server, "--token", _token);
        Assert.That(JsonDocument.Parse(nodesJson.Out).RootElement[0].GetProperty("mac").GetString(), Is.EqualTo("52:54:00:c1:10:01"));
    }

    [Test]
    public async Task NodeCommit_WhatTheNodeWrote_IsANewImage_ThenNodeReset_DropsTheOverlay()
    {
        const string mac = "52:54:00:c1:10:02";
        var up = await RunAsync("image", "import", "--upload", _host.WriteRawImage("cli-commit.img"), "--name", "clibase", "--server", _server, "--token", _token);
        Assert.That(up.Code, Is.EqualTo(0), up.Err);
        await _host.RegisterNodeAsync(mac);
        var assign = await RunAsync("node", "assign", mac, "clibase", "--server", _server, "--token", _token);
        Assert.That(assign.Code, Is.EqualTo(0), assign.Err);
        var written = Enumerable.Repeat((byte)0x6b, 4096).ToArray();
        var export = ApiHost.DiskExportIn(await _host.FetchScriptAsync(mac));
        await using (var node = await NbdClient.ConnectAsync("127.0.0.1", _host.NbdPort, export))
        {
            await node.WriteAsync(65536, written);
        }

        var commit = await RunAsync("node", "commit", mac, "cli-golden", "--label", "CLI golden", "--server", _server, "--token", _token);
        Assert.That(commit.Code, Is.EqualTo(0), commit.Err);
        Assert.That(commit.Out, Does.Match(@"^committed cli-golden version 1: qcow2, 2 MiB virtual, sha256 [0-9a-f]{64}\n$"));
        using (var anon = _host.Anonymous())
        {
            var disk = await anon.GetByteArrayAsync("/disk/cli-golden.v1");
            Assert.That(disk.AsSpan(65536, 4096).ToArray(), Is.EqualTo(written), "the node's write is in the image");
            Assert.That(disk[0], Is.EqualTo((byte)'A'), "and the base under it");
        }
        var json = await RunAsync("node", "commit", mac, "cli-golden", "--json", "--server", _server, "--token", _token);
        Assert.That(json.Code, Is.EqualTo(0), json.Err);
        var image = JsonDocument.Parse(json.Out).RootElement;
        Assert.That(image.GetProperty("version").GetInt32(), Is.EqualTo(2), "an existing name gets its next version");
        Assert.That(image.GetProperty("notes").GetString(), Is.EqualTo("committed from clibase.v1@525400c11002"));

        var reset = await RunAsync("node", "reset", mac, "--server", _server, "--token", _token);
        Assert.That(reset.Code, Is.EqualTo(0), reset.Err);
        Assert.That(reset.Out.Trim(), Is.EqualTo($"node {mac}: overlay reset (1 removed)"));
        var again = await RunAsync("node", "reset", mac, "--server", _server, "--token", _token);
        Assert.That(again.Out.Trim(), Is.EqualTo($"node {mac}: nothing to reset (it had not written anything)"));
        var nothing = await RunAsync("node", "commit", mac, "cli-empty", "--server", _server, "--token", _token);
        Assert.That(nothing.Code, Is.EqualTo(2));
        Assert.That(nothing.Err.Trim(), Is.EqualTo($"baremetal: server said 404 Not Found: Not found (node {mac} has no overlay: it has not written to an image yet)"));
    }

    [Test]
    public async Task TokenFromEnvironment_IsUsed()
    {
        Environment.SetEnvironmentVariable("BAREMETAL_TOKEN", _token);
        try
        {
            var list = await RunAsync("node", "list", "--server", _server);
            Assert.That(list.Code, Is.EqualTo(0), list.Err);
        }
        finally
        {
            Environment.SetEnvironmentVariable("BAREMETAL_TOKEN", null);
        }
    }

    [TestCase(new[] { "image", "list" }, "401", "--token")]
    [TestCase(new[] { "node", "assign", "52:54:00:c1:10:99", "nothing", "--with-token" }, "404", "is not registered")]
    [TestCase(new[] { "node", "assign", "not-a-mac", "cliup", "--with-token" }, "400", "MAC")]
    [TestCase(new[] { "node", "commit", "52:54:00:c1:10:99", "golden", "--with-token" }, "404", "no node 52:54:00:c1:10:99")]
    [TestCase(new[] { "node", "commit", "52:54:00:c1:10:99", "../etc/x", "--with-token" }, "400", "an image name may hold only")]
    [TestCase(new[] { "node", "commit", "52:54:00:c1:10:99", "golden.v3", "--with-token" }, "400", "names a version")]
    [TestCase(new[] { "node", "commit", "not-a-mac", "golden", "--with-token" }, "400", "MAC")]
    [TestCase(new[] { "node", "commit", "52:54:00:c1:10:99", "golden" }, "401", "--token")]
    [TestCase(new[] { "node", "reset", "52:54:00:c1:10:99", "--with-token" }, "404", "no node 52:54:00:c1:10:99")]
    [TestCase(new[] { "node", "reset", "not-a-mac", "--with-token" }, "400", "MAC")]
    [TestCase(new[] { "node", "reset", "52:54:00:c1:10:99" }, "401", "--token")]
    [TestCase(new[] { "image", "import", "/etc/passwd", "--with-token" }, "400", "outside the import folders")]
    [TestCase(new[] { "image", "import", "--with-token" }, null, "either FILE")]
    [TestCase(new[] { "image", "import", "--upload", "/nonexistent/file.img", "--with-token" }, null, "no such file")]
    public async Task Errors_AreOneLine_Exit2(string[] args, string? status, string mentions)
    {
        var full = args.Where(a => a != "--with-token").Concat(["--server", _server]).ToList();
        if (args.Contains("--with-token"))
        {
            full.AddRange(["--token", _token]);
        }
        var r = await RunAsync([.. full]);
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Err.TrimEnd().Split('\n'), Has.Length.EqualTo(1), r.Err);
        Assert.That(r.Err, Does.StartWith("baremetal: ").And.Contain(mentions));
        if (status is not null)
        {
            Assert.That(r.Err, Does.Contain(status));
        }
    }

    [TestCase("image", "list")]
    [TestCase("node", "commit", "52:54:00:c1:10:01", "golden")]
    [TestCase("node", "reset", "52:54:00:c1:10:01")]
    public async Task ServerDown_IsOneLine_Exit2(params string[] verb)
    {
        var r = await RunAsync([.. verb, "--server", "http://127.0.0.1:1", "--token", "x"]);
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Err.TrimEnd().Split('\n'), Has.Length.EqualTo(1), r.Err);
        Assert.That(r.Err, Does.StartWith("baremetal: cannot reach the server at http://127.0.0.1:1/"));
    }

    [Test]
    public async Task BadServerUrl_IsOneLine_Exit2()
    {
        var r = await RunAsync("node", "list", "--server", "ftp://example", "--token", "x");
        Assert.That(r.Code, Is.EqualTo(2));
        Assert.That(r.Err.Trim(), Is.EqualTo("baremetal: --server 'ftp://example': expected an http:// or https:// URL"));
    }
}

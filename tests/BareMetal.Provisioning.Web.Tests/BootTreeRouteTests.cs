using System.Net;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>/boot/{dir}/{**rest}: the TFTP tree's subpaths over HTTP, beside the routes that share the /boot prefix.</summary>
public sealed class BootTreeRouteTests
{
    [Test]
    public async Task Subpath_IsServedToGetAndHead_AndTheLiteralBootRoutesStillWin()
    {
        await using var host = await ApiHost.StartAsync();
        var tree = Directory.CreateDirectory(Path.Combine(host.DataDirectory, "tftp", "debian-installer", "amd64")).FullName;
        var initrd = Enumerable.Range(0, 70_000).Select(i => unchecked((byte)(i * 13))).ToArray();
        await File.WriteAllBytesAsync(Path.Combine(tree, "initrd.gz"), initrd);
        using var anon = host.Anonymous();
        using (var head = await anon.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/boot/debian-installer/amd64/initrd.gz")))
        {
            Assert.That((head.StatusCode, head.Content.Headers.ContentLength), Is.EqualTo((HttpStatusCode.OK, (long?)initrd.Length)));
        }
        Assert.That(await anon.GetByteArrayAsync("/boot/debian-installer/amd64/initrd.gz"), Is.EqualTo(initrd));
        Assert.That(await anon.GetStringAsync("/boot/agent/os-up.sh"), Does.StartWith("#!/bin/sh"), "the agent script's literal route wins over the tree");
        using var osUp = await anon.PostAsync("/boot/52:54:00:00:0e:01/os-up", null);
        Assert.That(osUp.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "an unknown node's report, not a file lookup");
        Assert.That(await osUp.Content.ReadAsStringAsync(), Does.Not.Contain("No such boot file"));
    }

    [TestCase("/boot/debian-installer/%2e%2e%5c%2e%2e%5cbaremetal.db", HttpStatusCode.BadRequest)]
    [TestCase("/boot/debian-installer/amd64", HttpStatusCode.NotFound)]
    [TestCase("/boot/debian-installer/nothing/here", HttpStatusCode.NotFound)]
    public async Task Subpath_NotAFileUnderTheRoot_IsRefused(string url, HttpStatusCode expected)
    {
        await using var host = await ApiHost.StartAsync();
        Directory.CreateDirectory(Path.Combine(host.DataDirectory, "tftp", "debian-installer", "amd64"));
        using var anon = host.Anonymous();
        using var r = await anon.GetAsync(url);
        Assert.That(r.StatusCode, Is.EqualTo(expected), await r.Content.ReadAsStringAsync());
    }
}

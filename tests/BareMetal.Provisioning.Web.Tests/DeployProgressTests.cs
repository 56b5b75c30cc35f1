using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// Deploy progress over a real socket (the block service counts reads per client address, which an
/// in-memory TestServer does not have): a deploy-mode node's reads of the image's shared read-only
/// export become its copy %, distinct bytes only, and another address's reads do not count.
/// </summary>
public sealed class DeployProgressTests
{
    private const string Mac = "52:54:00:de:01:01";

    [Test]
    public async Task ReadsOfTheBaseExport_FromTheNodesAddress_AreItsCopyPercent()
    {
        await using var host = await ApiHost.StartAsync(testServer: false);
        using var client = await host.TokenClientAsync();
        using (var up = await ApiHost.UploadAsync(client, "?name=tiny", File.ReadAllBytes(host.WriteRawImage("tiny.img", mib: 2))))
        {
            Assert.That(up.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using (var added = await client.PostAsJsonAsync("/api/v1/nodes", new { mac = Mac }))
        {
            Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        }
        using (var assigned = await client.PutAsJsonAsync($"/api/v1/nodes/{Mac}/assignment", new { image = "tiny", mode = "deploy" }))
        {
            Assert.That(assigned.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        using var node = host.Anonymous();
        Assert.That(await node.GetStringAsync($"/boot/{Mac}.ipxe"), Does.Contain("sanhook"));

        // Half the image, read twice (iPXE retrying): 50 %, not 100 %.
        await ReadAsync(node, 0, (1 << 20) - 1);
        await ReadAsync(node, 0, (1 << 20) - 1);
        var copying = await PumpUntilAsync(host, client, d => d.GetProperty("progress").GetProperty("bytesStreamed").GetInt64() == 2L << 20);
        Assert.Multiple(() =>
        {
            Assert.That(copying.GetProperty("state").GetString(), Is.EqualTo("copying"), copying.ToString());
            Assert.That(copying.GetProperty("progress").GetProperty("copyPercent").GetDouble(), Is.EqualTo(50));
            Assert.That(copying.GetProperty("progress").GetProperty("bytesStreamed").GetInt64(), Is.EqualTo(2L << 20), "bytes streamed counts every byte sent");
            Assert.That(copying.GetProperty("history").EnumerateArray().Last().GetProperty("source").GetString(), Is.EqualTo("disk"));
        });
        Assert.That(await host.Server.PumpProgressAsync(), Is.Zero, "no new reads, no event");

        // The second half, then done: 100 %, and the deployment ends.
        await ReadAsync(node, 1 << 20, (2 << 20) - 1);
        var whole = await PumpUntilAsync(host, client, d => d.GetProperty("progress").GetProperty("copyPercent").GetDouble() == 100);
        Assert.That(whole.GetProperty("progress").GetProperty("copyPercent").GetDouble(), Is.EqualTo(100), whole.ToString());
        using (var done = await node.GetAsync($"/boot/{Mac}/deploy-done"))
        {
            Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        var finished = await CurrentAsync(client);
        Assert.That(finished.GetProperty("state").GetString(), Is.EqualTo("done"));
        Assert.That(finished.GetProperty("progress").GetProperty("bytesStreamed").GetInt64(), Is.EqualTo(3L << 20));

        // A new deploy of the same node from the same address starts again from 0 %.
        Assert.That(await node.GetStringAsync($"/boot/{Mac}.ipxe"), Does.Contain("sanhook"));
        await ReadAsync(node, 0, 65535);
        var again = await PumpUntilAsync(host, client, d => d.GetProperty("progress").GetProperty("bytesStreamed").GetInt64() == 65536);
        Assert.That((again.GetProperty("state").GetString(), again.GetProperty("progress").GetProperty("copyPercent").GetDouble()), Is.EqualTo(("copying", 3.1)), again.ToString());
    }

    /// <summary>
    /// Samples until the deployment satisfies <paramref name="done"/>: the export counts a read after its
    /// body went out, so the client can see the bytes a moment before the counters do.
    /// </summary>
    private static async Task<JsonElement> PumpUntilAsync(ApiHost host, HttpClient client, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            await host.Server.PumpProgressAsync();
            var current = await CurrentAsync(client);
            if (done(current) || DateTime.UtcNow > deadline)
            {
                return current;
            }
            await Task.Delay(20);
        }
    }

    private static async Task ReadAsync(HttpClient node, long from, long to)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/disk/tiny.v1");
        request.Headers.Range = new RangeHeaderValue(from, to);
        using var response = await node.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That((await response.Content.ReadAsByteArrayAsync()).LongLength, Is.EqualTo(to - from + 1));
    }

    private static async Task<JsonElement> CurrentAsync(HttpClient client)
    {
        using var r = await client.GetAsync($"/api/v1/deployments/{Mac}");
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        return JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement[0].Clone();
    }
}

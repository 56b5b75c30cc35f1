using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// Deploy progress over a real socket (the block service counts reads per client address, which an
/// in-memory TestServer does not have): a deploy-mode node's reads of the image's shared read-only
/// export become its copy %, distinct bytes only, and another address's reads do not count; after a
/// server restart the copy % carries on from where it was.
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
    /// The server restarts (a new process: no deploy watch in memory, every counter at zero) halfway
    /// through a copy. The copier reads on, the chunk in flight at the restart first; the copy % carries
    /// on from 50 % with the distinct bytes read since (that chunk counts twice, and the sum stops at 100),
    /// never going back, and the next deploy starts from 0 %. Issue 5: it used to stay at 50 % until done.
    /// </summary>
    [Test]
    public async Task CopyPercent_AfterAServerRestart_CarriesOnFromWhereItWas_NeverGoesBack_AndANewDeployStartsFromZero()
    {
        var time = new ManualTime();
        await using var host = await ApiHost.StartAsync(o => o with { Time = time }, testServer: false);
        var client = await host.TokenClientAsync();
        var token = client.DefaultRequestHeaders.Authorization;
        var seen = new List<double>();
        try
        {
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
            long id;
            using (var node = host.Anonymous())
            {
                Assert.That(await node.GetStringAsync($"/boot/{Mac}.ipxe"), Does.Contain("sanhook"));
                await ReadAsync(node, 0, (1 << 20) - 1);
                var half = await PumpUntilAsync(host, client, d => Percent(d) == 50);
                seen.Add(Percent(half));
                Assert.That((half.GetProperty("state").GetString(), Percent(half)), Is.EqualTo(("copying", 50.0)), half.ToString());
                id = half.GetProperty("id").GetInt64();
            }

            time.Advance(TimeSpan.FromSeconds(30));
            await host.RestartAsync();
            client.Dispose();
            client = host.Anonymous();
            client.DefaultRequestHeaders.Authorization = token;
            using (var node = host.Anonymous())
            {
                Assert.That(await host.Server.PumpProgressAsync(), Is.Zero, "no read since the restart: nothing to report");
                var restarted = await CurrentAsync(client);
                seen.Add(Percent(restarted));
                Assert.That((restarted.GetProperty("id").GetInt64(), restarted.GetProperty("state").GetString(), Percent(restarted)), Is.EqualTo((id, "copying", 50.0)));

                // The 64 KiB chunk in flight at the restart again, then on to three quarters: 50 + 576/2048 of the disk.
                await ReadAsync(node, (1 << 20) - 65536, (3 << 19) - 1);
                var resumed = await PumpUntilAsync(host, client, d => Bytes(d) == (1 << 20) + (576 << 10));
                seen.Add(Percent(resumed));
                Assert.Multiple(() =>
                {
                    Assert.That(resumed.GetProperty("id").GetInt64(), Is.EqualTo(id), "the same deployment");
                    Assert.That(resumed.GetProperty("state").GetString(), Is.EqualTo("copying"));
                    Assert.That(Percent(resumed), Is.EqualTo(78.1), "50 % before the restart + 28.1 % read since; " + resumed);
                    Assert.That(Bytes(resumed), Is.EqualTo((1 << 20) + (576 << 10)), "bytes streamed carry on too");
                });

                // The rest: 50 + 53.1 % would be 103.1 (the chunk read twice); it stops at 100.
                await ReadAsync(node, 3 << 19, (2 << 20) - 1);
                var whole = await PumpUntilAsync(host, client, d => Percent(d) == 100);
                seen.Add(Percent(whole));
                Assert.That((whole.GetProperty("state").GetString(), Percent(whole)), Is.EqualTo(("copying", 100.0)), whole.ToString());
                using (var done = await node.GetAsync($"/boot/{Mac}/deploy-done"))
                {
                    Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.OK));
                }
                var finished = await CurrentAsync(client);
                seen.Add(Percent(finished));
                Assert.That((finished.GetProperty("state").GetString(), Percent(finished)), Is.EqualTo(("done", 100.0)));
                Assert.That(seen, Is.Ordered, "the copy % never goes back");

                // The next deploy of the node is a new deployment, from 0 %.
                Assert.That(await node.GetStringAsync($"/boot/{Mac}.ipxe"), Does.Contain("sanhook"));
                await ReadAsync(node, 0, 65535);
                var again = await PumpUntilAsync(host, client, d => Bytes(d) == 65536);
                Assert.That(again.GetProperty("id").GetInt64(), Is.Not.EqualTo(id));
                Assert.That((again.GetProperty("state").GetString(), Percent(again)), Is.EqualTo(("copying", 3.1)), again.ToString());
            }
        }
        finally
        {
            client.Dispose();
        }
    }

    private static double Percent(JsonElement d) => d.GetProperty("progress").GetProperty("copyPercent").GetDouble();

    private static long Bytes(JsonElement d) => d.GetProperty("progress").GetProperty("bytesStreamed").GetInt64();

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

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace BareMetal.Provisioning.Web.Tests;

public sealed class EventsAndLogTests
{
    [Test]
    public async Task Events_Subscribe_ThenNodeAddAndProgress_ArriveAsServerSentEvents()
    {
        await using var host = await ApiHost.StartAsync();
        using var client = await host.TokenClientAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/events"), HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        Assert.That(await reader.ReadLineAsync(cts.Token), Does.StartWith(": "), "the feed opens with a comment once subscribed");

        (await client.PostAsJsonAsync("/api/v1/nodes", new { mac = "52:54:00:5e:00:01" }, cts.Token)).Dispose();
        var (name, data) = await NextEventAsync(reader, cts.Token);
        Assert.That(name, Is.EqualTo("node"));
        Assert.That(data.GetProperty("change").GetString(), Is.EqualTo("nodeAdded"));
        Assert.That(data.GetProperty("node").GetProperty("mac").GetString(), Is.EqualTo("52:54:00:5e:00:01"));

        // A boot script fetch starts a deployment; disk reads then give a state change and a progress event.
        using var r = await ApiHost.UploadAsync(client, "?name=feed", File.ReadAllBytes(host.WriteRawImage("feed.img")));
        Assert.That((await NextEventAsync(reader, cts.Token)).Event, Is.EqualTo("image"));
        (await client.PutAsJsonAsync("/api/v1/nodes/52:54:00:5e:00:01/assignment", new { image = "feed" }, cts.Token)).Dispose();
        Assert.That((await NextEventAsync(reader, cts.Token)).Event, Is.EqualTo("node"));
        var disk = "/disk/" + ApiHost.DiskExportIn(await client.GetStringAsync("/boot/52:54:00:5e:00:01.ipxe", cts.Token));
        await SkipUntilAsync(reader, "deployment", cts.Token);
        await ReadDiskAsync(client, disk, 0, 511, cts.Token);
        await host.Server.PumpProgressAsync();
        var streaming = await SkipUntilAsync(reader, "deployment", cts.Token);
        Assert.That(streaming.GetProperty("deployment").GetProperty("state").GetString(), Is.EqualTo("streaming"));
        await ReadDiskAsync(client, disk, 512, 1023, cts.Token);
        await host.Server.PumpProgressAsync();
        var progress = await SkipUntilAsync(reader, "progress", cts.Token);
        Assert.That(progress.GetProperty("deployment").GetProperty("progress").GetProperty("bytesStreamed").GetInt64(), Is.EqualTo(1024));
    }

    private static async Task ReadDiskAsync(HttpClient client, string url, long from, long to, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(from, to);
        using var r = await client.SendAsync(request, ct);
        Assert.That(r.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        await r.Content.ReadAsByteArrayAsync(ct);
    }

    private static async Task<JsonElement> SkipUntilAsync(StreamReader reader, string eventName, CancellationToken ct)
    {
        while (true)
        {
            var (name, data) = await NextEventAsync(reader, ct);
            if (name == eventName)
            {
                return data;
            }
        }
    }

    private static async Task<(string Event, JsonElement Data)> NextEventAsync(StreamReader reader, CancellationToken ct)
    {
        string? name = null;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                name = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                Assert.That(name, Is.Not.Null, "data without event");
                return (name!, JsonDocument.Parse(line[6..]).RootElement.Clone());
            }
        }
        throw new EndOfStreamException("the event stream ended");
    }

    [Test]
    public async Task Logs_AfterLoginAndTokenCreation_HoldNoSecrets()
    {
        string token;
        string logDir;
        await using (var host = await ApiHost.StartAsync())
        {
            token = await host.CreateTokenAsync("log-check");
            using var anon = host.Anonymous();
            (await anon.PostAsJsonAsync("/api/v1/session", new { password = "wrong-" + ApiHost.Password })).Dispose();
            using var bearer = host.Anonymous();
            bearer.DefaultRequestHeaders.Authorization = new("Bearer", token);
            (await bearer.GetAsync("/api/v1/tokens")).Dispose();
            logDir = Path.Combine(host.DataDirectory, "logs");
            await host.Server.DisposeAsync(); // flushes the log file
            var text = string.Concat(Directory.GetFiles(logDir, "baremetal-*.log").Select(File.ReadAllText));
            Assert.That(text, Does.Contain("Admin logged in").And.Contain("log-check").And.Contain("Failed admin login"), "the events are logged ...");
            Assert.That(text, Does.Not.Contain(ApiHost.Password), "... but not the password");
            Assert.That(text, Does.Not.Contain(token), "... nor the token");
            Assert.That(text, Does.Not.Contain(token[..12]), "... nor a prefix of it");
        }
    }
}

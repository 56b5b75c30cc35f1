using System.Net;
using System.Text;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// Random and mutated bodies, names and query strings against every route that takes input: the answer
/// is always a 2xx or a 4xx problem, never a 500. Seeded, so a failure replays.
/// </summary>
public sealed class BadInputFuzzTests
{
    private static readonly string[] Seeds =
    [
        "{\"password\":\"x\"}", "{\"name\":\"t\"}", "{\"path\":\"/tmp/x\",\"name\":\"n\"}", "{\"osLabel\":\"l\",\"notes\":\"n\"}",
        "{\"mac\":\"52:54:00:00:00:01\",\"hostname\":\"h\",\"architecture\":\"EfiX64\"}", "{\"image\":\"i\",\"mode\":\"stream\",\"version\":1}",
        "{\"event\":\"os-up\",\"detail\":\"d\",\"copyPercent\":50}", "{\"dhcp.mode\":\"proxy\"}",
    ];

    private static readonly (HttpMethod Method, string Path)[] Routes =
    [
        (HttpMethod.Post, "/api/v1/session"), (HttpMethod.Post, "/api/v1/tokens"), (HttpMethod.Post, "/api/v1/images"),
        (HttpMethod.Patch, "/api/v1/images/{name}"), (HttpMethod.Post, "/api/v1/nodes"), (HttpMethod.Put, "/api/v1/nodes/{mac}/assignment"),
        (HttpMethod.Post, "/api/v1/nodes/{mac}/events"), (HttpMethod.Put, "/api/v1/settings"), (HttpMethod.Get, "/api/v1/images/{name}/map?buckets={n}"),
        (HttpMethod.Get, "/api/v1/deployments/{mac}?limit={n}"), (HttpMethod.Delete, "/api/v1/tokens/{n}"), (HttpMethod.Get, "/boot/{mac}.ipxe"),
    ];

    private static readonly string[] Fragments = ["..", "%2F", "%00", "@", "a", "52:54:00:00:00:01", "-1", "99999999999999999999", "%", "\u00e9", " ", "NaN"];

    [Test]
    public async Task RandomInput_NeverGivesA500([Values(1, 2)] int seed)
    {
        await using var host = await ApiHost.StartAsync();
        using var client = await host.TokenClientAsync();
        var random = new Random(seed);
        for (var i = 0; i < 300; i++)
        {
            var (method, template) = Routes[random.Next(Routes.Length)];
            var path = template.Replace("{name}", Word(random), StringComparison.Ordinal).Replace("{mac}", Word(random), StringComparison.Ordinal)
                .Replace("{n}", Word(random), StringComparison.Ordinal);
            using var request = new HttpRequestMessage(method, path);
            if (method != HttpMethod.Get && method != HttpMethod.Delete)
            {
                request.Content = new StringContent(Mutate(Seeds[random.Next(Seeds.Length)], random), Encoding.UTF8, random.Next(8) == 0 ? "text/plain" : "application/json");
            }
            using var response = await client.SendAsync(request);
            Assert.That((int)response.StatusCode, Is.LessThan(500), $"{method} {path} -> {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
            if ((int)response.StatusCode >= 400 && response.StatusCode != HttpStatusCode.NotFound)
            {
                Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), $"{method} {path}");
            }
        }
    }

    // No %00 in paths: the in-memory test host refuses it before the app sees it (Kestrel answers 400 itself).
    private static string Word(Random random) =>
        string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => Fragments[random.Next(Fragments.Length)])).Replace("%00", "0", StringComparison.Ordinal);

    private static string Mutate(string json, Random random)
    {
        var chars = json.ToCharArray().ToList();
        var edits = random.Next(0, 4);
        for (var e = 0; e < edits && chars.Count > 0; e++)
        {
            var at = random.Next(chars.Count);
            switch (random.Next(4))
            {
                case 0:
                    chars.RemoveAt(at);
                    break;
                case 1:
                    chars.Insert(at, "{}[]\":,0-e\\n"[random.Next(12)]);
                    break;
                case 2:
                    chars[at] = (char)random.Next(0, 128);
                    break;
                default:
                    chars.InsertRange(at, Fragments[random.Next(Fragments.Length)]);
                    break;
            }
        }
        return new string([.. chars]);
    }
}

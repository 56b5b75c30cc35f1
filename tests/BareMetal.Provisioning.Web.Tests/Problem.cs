using System.Net;
using System.Text.Json;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>Asserts a response is an RFC 7807 problem with the expected status and a useful text.</summary>
internal static class Problem
{
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
        var doc = JsonDocument.Parse(text).RootElement.Clone();
        Assert.That(doc.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
        Assert.That(doc.GetProperty("title").GetString(), Is.Not.Empty);
        if (detailContains is not null)
        {
            Assert.That(doc.GetProperty("detail").GetString(), Does.Contain(detailContains).IgnoreCase, text);
        }
        return doc;
    }
}

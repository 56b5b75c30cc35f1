using System.Text.Json.Nodes;

namespace BareMetal.Interop.Tests.EndToEnd;

/// <summary>
/// GET /api/v1/events read as the console's EventSource reads it: `event:` and `data:` lines, a blank
/// line ending each event. Collects every event in the background from the moment the server says the
/// subscription is open; Dispose closes the stream.
/// </summary>
public sealed class ChangeFeed : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(string Event, JsonNode Data)> _events = [];
    private readonly Task _reader;

    private ChangeFeed(HttpResponseMessage response, StreamReader reader)
    {
        _response = response;
        _reader = Task.Run(() => ReadAsync(reader));
    }

    /// <summary>Events so far: (event name, parsed data).</summary>
    public IReadOnlyList<(string Event, JsonNode Data)> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>Opens the feed and waits for its opening comment (the subscription is live after it).</summary>
    public static async Task<ChangeFeed> OpenAsync(HttpClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var response = await client.GetAsync("/api/v1/events", HttpCompletionOption.ResponseHeadersRead);
        try
        {
            Assert.That(response.IsSuccessStatusCode, Is.True, $"GET /api/v1/events: {(int)response.StatusCode}");
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/event-stream"));
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var first = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(first, Does.StartWith(":"), "the feed opens with a comment once subscribed");
            return new ChangeFeed(response, reader);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task ReadAsync(StreamReader reader)
    {
        string? name = null;
        string? data = null;
        try
        {
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
                else if (line.Length == 0 && name is not null && data is not null)
                {
                    var parsed = JsonNode.Parse(data) ?? throw new InvalidOperationException("null event data");
                    lock (_events)
                    {
                        _events.Add((name, parsed));
                    }
                    (name, data) = (null, null);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Closed by Dispose or by the server stopping.
        }
        finally
        {
            reader.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reader.WaitAsync(TimeSpan.FromSeconds(10));
        _stop.Dispose();
    }
}

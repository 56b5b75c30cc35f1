using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;

namespace BareMetal.Interop.Tests.Faults;

/// <summary>
/// A deploy-mode node's copier as the server sees it: HTTP Range GETs of the image, front to back, 64
/// sectors at a time as Boot/DeployCopier.asm asks iPXE for them, every request from the node's own
/// address (a loopback address of its own, so the server tells its reads from the test's API calls).
/// A request the server dropped, or could not take while it was down, is asked again until answered,
/// as iPXE's HTTP does.
/// </summary>
public sealed class RangeCopier : IDisposable
{
    /// <summary>One INT 13h extended read of the BIOS copier: 64 sectors of 512 bytes.</summary>
    public const int ChunkBytes = 64 * 512;

    private readonly HttpClient _http;
    private long _copied;

    public RangeCopier(IPAddress nodeAddress, int serverPort)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(nodeAddress, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{serverPort}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>The node's HTTP, for its script and its deploy-done report.</summary>
    public HttpClient Http => _http;

    /// <summary>Bytes of the image read so far (whole chunks, as answered).</summary>
    public long Copied => Interlocked.Read(ref _copied);

    /// <summary>
    /// Reads [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="disk"/> chunk by chunk,
    /// <paramref name="pace"/> apart; each chunk is asked again (100 ms apart) until it comes whole,
    /// for at most <paramref name="patience"/> per chunk.
    /// </summary>
    public async Task CopyAsync(string disk, long from, long to, TimeSpan pace, TimeSpan patience)
    {
        for (var offset = from; offset < to; offset += ChunkBytes)
        {
            var end = Math.Min(offset + ChunkBytes, to) - 1;
            var giveUp = DateTime.UtcNow + patience;
            while (!await TryReadAsync(disk, offset, end))
            {
                if (DateTime.UtcNow > giveUp)
                {
                    throw new TimeoutException($"the chunk at {offset} of {disk} was not answered within {patience}");
                }
                await Task.Delay(100);
            }
            Interlocked.Add(ref _copied, end - offset + 1);
            if (pace > TimeSpan.Zero)
            {
                await Task.Delay(pace);
            }
        }
    }

    private async Task<bool> TryReadAsync(string disk, long offset, long end)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, disk);
        request.Headers.Range = new RangeHeaderValue(offset, end);
        try
        {
            using var response = await _http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.PartialContent)
            {
                return false;
            }
            return (await response.Content.ReadAsByteArrayAsync()).LongLength == end - offset + 1;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            // The server went away under the request (killed) or is not back yet.
            return false;
        }
    }

    public void Dispose() => _http.Dispose();
}

using System.Net;
using System.Net.Sockets;
using BareMetal.Provisioning.Web;
using BareMetal.TestSupport;

namespace BareMetal.Browser.Tests;

/// <summary>The whole server, in-process, on free loopback ports with a temporary data directory.</summary>
internal sealed class ConsoleServer : IAsyncDisposable
{
    private readonly TempDir _data;
    private readonly BareMetalServer _server;

    private ConsoleServer(TempDir data, BareMetalServer server, ServeOptions options)
    {
        _data = data;
        _server = server;
        Options = options;
    }

    public ServeOptions Options { get; }

    public string BaseUrl => Options.BaseUrl;

    public string DataDirectory => _data.Path;

    public static async Task<ConsoleServer> StartAsync(string adminPassword)
    {
        var data = new TempDir("bm-console");
        var options = new ServeOptions
        {
            DataDirectory = data.Path,
            Http = new IPEndPoint(IPAddress.Loopback, FreeTcpPort()),
            Nbd = null,
            Tftp = null,
        };
        var server = new BareMetalServer(options);
        try
        {
            await server.StartAsync(CancellationToken.None);
        }
        catch
        {
            await server.DisposeAsync();
            data.Dispose();
            throw;
        }
        return new ConsoleServer(data, server, options);
    }

    // Kestrel needs the port up front (the base URL is baked into boot scripts), so take one the
    // kernel says is free; the gap before Kestrel binds it is tiny and only loopback.
    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _data.Dispose();
    }
}

using System.Net;
using BareMetal.Provisioning.Web;
using BareMetal.TestSupport;

namespace BareMetal.Browser.Tests;

/// <summary>The whole server, in-process, on a free loopback port with a temporary data directory.</summary>
internal sealed class ConsoleServer : IAsyncDisposable
{
    private readonly TempDir _data;

    private ConsoleServer(TempDir data, BareMetalServer server)
    {
        _data = data;
        Server = server;
    }

    public BareMetalServer Server { get; }

    public string BaseUrl => Server.BaseUrl;

    public string DataDirectory => _data.Path;

    /// <summary>data/import: where a path import may read from.</summary>
    public string ImportDirectory => Path.Combine(_data.Path, "import");

    public static async Task<ConsoleServer> StartAsync(string adminPassword)
    {
        var data = new TempDir("bm-console");
        var server = new BareMetalServer(new ServeOptions
        {
            DataDirectory = data.Path,
            Http = new IPEndPoint(IPAddress.Loopback, 0),
            Nbd = null,
            Tftp = null,
            AdminPassword = adminPassword,
            LogToConsole = false,
        });
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
        return new ConsoleServer(data, server);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _data.Dispose();
    }
}

using System.Net;
using BareMetal.Provisioning.Core.Security;
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

    /// <summary>Where a browser opens the console: HTTPS under --tls, else the one HTTP listener.</summary>
    public string ConsoleUrl => Server.HttpsAddress?.ToString().TrimEnd('/') ?? BaseUrl;

    public string DataDirectory => _data.Path;

    /// <summary>data/import: where a path import may read from.</summary>
    public string ImportDirectory => Path.Combine(_data.Path, "import");

    /// <param name="adminPassword">The admin password it is started with.</param>
    /// <param name="neighbours">
    /// Stands in for the kernel's neighbour table (/proc/net/arp), which never lists loopback: which node the
    /// test plays from which loopback address. Node addresses are verified by the server's own
    /// <see cref="HostAddressVerifier"/> (a pinned address first, then this table), as on a real segment.
    /// </param>
    /// <param name="tls">serve --tls: a self-signed certificate in the data directory, HTTPS on another free port.</param>
    public static async Task<ConsoleServer> StartAsync(string adminPassword, IReadOnlyList<NeighbourEntry> neighbours, bool tls = false)
    {
        var data = new TempDir("bm-console");
        var server = new BareMetalServer(new ServeOptions
        {
            DataDirectory = data.Path,
            Http = new IPEndPoint(IPAddress.Loopback, 0),
            Tls = tls,
            Https = new IPEndPoint(IPAddress.Loopback, 0),
            Nbd = null,
            Tftp = null,
            AdminPassword = adminPassword,
            LogToConsole = false,
            NodeAddresses = new HostAddressVerifier(_ => null, () => neighbours, () => null, TimeProvider.System),
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

using System.Net;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Http;
using BareMetal.ImageStore.Nbd.Server;

namespace BareMetal.Interop.Tests.Nbd;

/// <summary>Our NBD server and HTTP range export on loopback ports chosen by the kernel.</summary>
internal sealed class NbdTestServer : IAsyncDisposable
{
    private readonly NbdServer _nbd;
    private readonly BlockHttpExport _http;

    private NbdTestServer(IExportProvider exports)
    {
        _nbd = new NbdServer(exports);
        _http = new BlockHttpExport(exports);
    }

    public static async Task<NbdTestServer> StartAsync(IExportProvider exports, bool http = false)
    {
        var s = new NbdTestServer(exports);
        s._nbd.Start(new IPEndPoint(IPAddress.Loopback, 0));
        if (http)
        {
            await s._http.StartAsync(new IPEndPoint(IPAddress.Loopback, 0));
        }
        return s;
    }

    public int Port => _nbd.LocalEndPoint.Port;

    public string Uri(string name) => $"nbd://127.0.0.1:{Port}/{name}";

    public string HttpUri(string name) => $"{_http.BaseUri!.ToString().TrimEnd('/')}{BlockHttpExport.PathPrefix}{name}";

    public async ValueTask DisposeAsync()
    {
        await _http.DisposeAsync();
        await _nbd.DisposeAsync();
    }
}

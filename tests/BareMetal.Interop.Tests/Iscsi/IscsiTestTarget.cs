using System.Net;
using BareMetal.ImageStore.Iscsi.Server;
using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Nbd.Exports;
using Microsoft.Extensions.Logging;

namespace BareMetal.Interop.Tests.Iscsi;

/// <summary>Our iSCSI target on a loopback port chosen by the kernel, logging to the test output.</summary>
internal sealed class IscsiTestTarget : IAsyncDisposable
{
    private readonly ILoggerFactory _logs;
    private readonly IscsiServer _server;

    private IscsiTestTarget(IExportProvider exports, IscsiServerOptions? options)
    {
        _logs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Information));
        _server = new IscsiServer(exports, options, _logs.CreateLogger("iscsi"));
    }

    public static IscsiTestTarget Start(IExportProvider exports, IscsiServerOptions? options = null)
    {
        var t = new IscsiTestTarget(exports, options);
        t._server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        return t;
    }

    public IscsiServer Server => _server;

    public int Port => _server.LocalEndPoint.Port;

    public string Portal => $"127.0.0.1:{Port}";

    /// <summary>libiscsi URL of LUN 0 of an export (overlay names use the ':' form, see IscsiTargetNames).</summary>
    public string Url(string export) => $"iscsi://127.0.0.1:{Port}/{IscsiTargetNames.ForExport(export.Replace('@', ':'))}/0";

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _logs.Dispose();
    }
}

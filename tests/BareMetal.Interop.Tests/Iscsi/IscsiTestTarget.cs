using System.Net;
using BareMetal.ImageStore.Iscsi.Policy;
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

    private IscsiTestTarget(IExportProvider exports, IscsiServerOptions? options, IIscsiAuthPolicy? auth)
    {
        _logs = LoggerFactory.Create(b => b.AddSimpleConsole().SetMinimumLevel(LogLevel.Information));
        _server = new IscsiServer(exports, options, _logs.CreateLogger("iscsi"), auth: auth);
    }

    public static IscsiTestTarget Start(IExportProvider exports, IscsiServerOptions? options = null, IIscsiAuthPolicy? auth = null)
    {
        var t = new IscsiTestTarget(exports, options, auth);
        t._server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        return t;
    }

    public IscsiServer Server => _server;

    public int Port => _server.LocalEndPoint.Port;

    public string Portal => $"127.0.0.1:{Port}";

    /// <summary>libiscsi URL of LUN 0 of an export (overlay names use the ':' form, see IscsiTargetNames).</summary>
    public string Url(string export) => $"iscsi://127.0.0.1:{Port}/{IscsiTargetNames.ForExport(export.Replace('@', ':'))}/0";

    /// <summary>
    /// libiscsi URL with CHAP: <c>user%secret@</c> before the portal, and for mutual CHAP the target's
    /// credentials as <c>?target_user=..&amp;target_password=..</c> (libiscsi 1.19 lib/init.c iscsi_parse_url).
    /// </summary>
    public string ChapUrl(string export, string user, string secret, string? targetUser = null, string? targetSecret = null) =>
        $"iscsi://{user}%{secret}@127.0.0.1:{Port}/{IscsiTargetNames.ForExport(export.Replace('@', ':'))}/0"
        + (targetUser is null ? "" : $"?target_user={targetUser}&target_password={targetSecret}");

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _logs.Dispose();
    }
}

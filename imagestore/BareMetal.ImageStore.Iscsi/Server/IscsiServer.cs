using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using BareMetal.ImageStore.Iscsi.Policy;
using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Nbd.Exports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.ImageStore.Iscsi.Server;

/// <summary>
/// The iSCSI target: every export of <see cref="IExportProvider"/> is the target
/// <c>iqn.2026-11.dev.baremetal:{export}</c> with one LUN (see <see cref="IscsiTargetNames"/>).
/// Accepts TCP connections (Nagle off) and runs one session per connection.
/// </summary>
public sealed class IscsiServer : IAsyncDisposable
{
    private const int ReceiveBufferSize = 256 * 1024;

    private readonly IExportProvider _exports;
    private readonly IscsiServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly IIscsiAuthPolicy _auth;
    private readonly ConcurrentDictionary<IscsiConnection, Task> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private ITimer? _watchdog;
    private int _nextTsih;

    /// <param name="auth">Which targets require CHAP, per login (default <see cref="NoAuthPolicy"/>: none).</param>
    public IscsiServer(IExportProvider exports, IscsiServerOptions? options = null, ILogger? logger = null, TimeProvider? time = null, IIscsiAuthPolicy? auth = null)
    {
        _exports = exports ?? throw new ArgumentNullException(nameof(exports));
        _options = options ?? new IscsiServerOptions();
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _auth = auth ?? NoAuthPolicy.Instance;
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("not started"));

    public int ConnectionCount => _connections.Count;

    public void Start(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(endPoint);
        listener.Listen(512);
        _listener = listener;
        Log.Listening(_logger, listener.LocalEndPoint);
        _watchdog = _time.CreateTimer(_ => CheckStalled(), null, _options.WatchdogPeriod, _options.WatchdogPeriod);
        _acceptLoop = AcceptLoopAsync(listener);
    }

    /// <summary>Closes connections stuck in login or on an initiator that stopped reading (the watchdog calls this).</summary>
    public void CheckStalled()
    {
        foreach (var c in _connections.Keys)
        {
            c.CheckStalled();
        }
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            var client = socket.RemoteEndPoint is IPEndPoint ip ? ip.Address.ToString() : "?";
            if (_connections.Count >= _options.MaxConnections)
            {
                Log.TooManyConnections(_logger, _options.MaxConnections, client);
                socket.Dispose();
                continue;
            }
            socket.NoDelay = true;
            _ = ServeAsync(socket, client);
        }
    }

    private async Task RunWhenRegisteredAsync(Task registered, IscsiConnection connection)
    {
        await registered.ConfigureAwait(false);
        await connection.RunAsync(_stop.Token).ConfigureAwait(false);
    }

    private async Task ServeAsync(Socket socket, string client)
    {
        await Task.Yield();
        var local = (IPEndPoint)socket.LocalEndPoint!;
        var host = local.AddressFamily == AddressFamily.InterNetworkV6 && !local.Address.IsIPv4MappedToIPv6 ? $"[{local.Address}]" : (local.Address.IsIPv4MappedToIPv6 ? local.Address.MapToIPv4().ToString() : local.Address.ToString());
        var tsih = (ushort)((unchecked((uint)Interlocked.Increment(ref _nextTsih)) % 0xfffe) + 1);
        var peer = socket.RemoteEndPoint as IPEndPoint;
        var session = new IscsiSession(_exports.ForClient(ExportClient.From(peer?.Address, ExportProtocol.Iscsi)), client, $"{host}:{local.Port},1", tsih, _auth);
        var stream = new NetworkStream(socket, ownsSocket: false);
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReceiveBufferSize, minimumReadSize: 16 * 1024));
        var connection = new IscsiConnection(input, socket, session, client, _options, _logger, _time);
        Log.Connected(_logger, client);
        // Counted before it runs: RunAsync can finish a login synchronously, and a client that has its
        // login answer must already be in ConnectionCount (the 100-session test saw 99 otherwise).
        var registered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var run = RunWhenRegisteredAsync(registered.Task, connection);
        _connections[connection] = run;
        registered.SetResult();
        try
        {
            await run;
        }
        catch (Exception e)
        {
            Log.Unexpected(_logger, client, e);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            Log.Disconnected(_logger, client);
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            await stream.DisposeAsync();
            socket.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync();
        _listener?.Dispose();
        if (_watchdog is not null)
        {
            await _watchdog.DisposeAsync();
        }
        if (_acceptLoop is not null)
        {
            await _acceptLoop;
        }
        await Task.WhenAll(_connections.Values);
        _stop.Dispose();
    }
}

using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using BareMetal.ImageStore.Nbd.Counters;
using BareMetal.ImageStore.Nbd.Exports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.ImageStore.Nbd.Server;

/// <summary>
/// The socket shell: accepts TCP connections (Nagle off), runs an <see cref="NbdConnection"/> for each,
/// and a watchdog that closes connections stalled in the handshake or on a client that stopped reading.
/// </summary>
public sealed class NbdServer : IAsyncDisposable
{
    /// <summary>PipeReader buffer: large enough that a 256 KiB WRITE arrives in a few reads.</summary>
    private const int ReceiveBufferSize = 256 * 1024;

    private readonly IExportProvider _exports;
    private readonly NbdServerOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<NbdConnection, Task> _connections = new();
    private readonly CancellationTokenSource _stop = new();
    private Socket? _listener;
    private Task? _acceptLoop;
    private ITimer? _watchdog;

    public NbdServer(IExportProvider exports, NbdServerOptions? options = null, ILogger? logger = null, TimeProvider? time = null)
    {
        _exports = exports ?? throw new ArgumentNullException(nameof(exports));
        _options = options ?? new NbdServerOptions();
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    public IPEndPoint LocalEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("not started"));

    public int ConnectionCount => _connections.Count;

    /// <summary>The connections being served (tests look at their sockets).</summary>
    internal IEnumerable<NbdConnection> Connections => _connections.Keys;

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

    /// <summary>Closes connections stalled in the handshake or on a client that stopped reading (the watchdog calls this).</summary>
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
                // A connection reset before accept completed: nothing to serve, keep accepting.
                continue;
            }
            var peer = socket.RemoteEndPoint as IPEndPoint;
            var client = peer is not null ? peer.Address.ToString() : "?";
            if (_connections.Count >= _options.MaxConnections)
            {
                Log.TooManyConnections(_logger, _options.MaxConnections, client);
                socket.Dispose();
                continue;
            }
            socket.NoDelay = true;
            var exports = _exports.ForClient(ExportClient.From(peer?.Address, ExportProtocol.Nbd));
            // A thread per connection, as nbdkit and qemu-nbd have: every socket call then blocks in the
            // kernel instead of bouncing through the epoll thread (see BlockingSocketStream).
            _ = Task.Factory.StartNew(() => Serve(socket, client, exports), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
    }

    private void Serve(Socket socket, string client, IExportProvider exports)
    {
        var stream = new BlockingSocketStream(socket);
        var input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: ReceiveBufferSize, minimumReadSize: 16 * 1024));
        using var connection = new NbdConnection(exports, input, new SocketReplyOutput(socket), client, _options, _logger, _time, socket);
        connection.Aborted += () =>
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
        };
        Log.Connected(_logger, client);
        NbdMetrics.Connections.Add(1);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connections[connection] = done.Task;
        try
        {
            // Every I/O call below blocks, so this completes on this thread.
            connection.RunAsync(_stop.Token).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            Log.Unexpected(_logger, client, e);
        }
        finally
        {
            NbdMetrics.Connections.Add(-1);
            _connections.TryRemove(connection, out _);
            stream.Dispose();
            socket.Dispose();
            done.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
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

using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using BareMetal.Pxe.Dhcp.Leases;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Session;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.Pxe.Dhcp.Server;

/// <summary>
/// The socket shell around <see cref="ProxyDhcpSession"/> / <see cref="FullDhcpSession"/>: UDP 67 and
/// 4011, SO_BROADCAST, SO_BINDTODEVICE when an interface is named. A datagram not answered is logged with
/// the session's reason (Debug) and the loop goes on.
/// </summary>
public sealed class DhcpServer : IAsyncDisposable
{
    /// <summary>Linux SOL_SOCKET.</summary>
    private const int SolSocket = 1;

    /// <summary>Linux SO_BINDTODEVICE: receive and send only on the named interface (broadcasts included).</summary>
    private const int SoBindToDevice = 25;

    /// <summary>Largest datagram we read; anything larger is truncated by the kernel and then rejected by the codec.</summary>
    private const int ReceiveBufferSize = 65536;

    private readonly DhcpServerOptions _options;
    private readonly IBootPolicy _policy;
    private readonly ILeaseStore? _leases;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _loops = [];
    private Func<DhcpInbound, DhcpOutcome>? _handle;
    private FullDhcpSession? _full;
    private ITimer? _sweep;
    private int _disposed;

    /// <param name="policy">What clients boot; null = <see cref="DefaultBootPolicy"/> with <see cref="DhcpServerOptions.HttpBaseUrl"/>.</param>
    /// <param name="leases">Full mode lease store; null = a JSON file in <see cref="DhcpServerOptions.DataDirectory"/>, or memory.</param>
    /// <param name="logger">Where the server logs; datagrams not answered go at Debug, with the reason.</param>
    public DhcpServer(DhcpServerOptions options, IBootPolicy? policy, ILeaseStore? leases = null, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _log = logger ?? NullLogger.Instance;
        _options = options;
        _policy = policy ?? new DefaultBootPolicy(new DefaultBootPolicyOptions { HttpBaseUrl = options.HttpBaseUrl });
        _leases = leases;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Every well-formed client message, answered or not: provisioning registers nodes from it.</summary>
    public event EventHandler<DhcpClientContact>? ClientContact;

    /// <summary>Our server identifier, known once started.</summary>
    public IPAddress? ServerAddress { get; private set; }

    /// <summary>The local endpoints actually bound (port 0 in the options picks free ports: tests).</summary>
    public IReadOnlyList<IPEndPoint> LocalEndpoints => [.. _sockets.Select(s => (IPEndPoint)s.LocalEndPoint!)];

    /// <summary>The full-mode session, for inspection (null in proxy mode).</summary>
    public FullDhcpSession? FullSession => _full;

    /// <summary>Where replies addressed to 255.255.255.255 go; loopback tests point it at 127.0.0.1.</summary>
    public IPAddress BroadcastTarget { get; init; } = IPAddress.Broadcast;

    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (_handle is not null)
        {
            throw new InvalidOperationException("already started");
        }
        cancellationToken.ThrowIfCancellationRequested();
        var server = _options.ServerAddress ?? _options.Full?.ServerAddress ?? InterfaceAddress(_options.InterfaceName)
            ?? throw new InvalidOperationException("no server address: give ServerAddress or an interface with an IPv4 address");
        ServerAddress = server;
        if (_options.Mode == DhcpMode.Full)
        {
            var full = _options.Full ?? throw new InvalidOperationException("full mode needs an address pool (DhcpServerOptions.Full)");
            full = full with { ServerAddress = server, TftpServer = full.TftpServer ?? _options.TftpServer };
            var store = _leases ?? (_options.DataDirectory is { } dir ? new JsonFileLeaseStore(dir) : new InMemoryLeaseStore());
            _full = new FullDhcpSession(full, _policy, store, _time);
            _handle = _full.Handle;
            _sweep = _time.CreateTimer(_ => SafeSweep(), null, _options.LeaseSweepInterval, _options.LeaseSweepInterval);
        }
        else
        {
            _handle = new ProxyDhcpSession(new ProxyDhcpOptions(server, _options.TftpServer), _policy).Handle;
        }
        try
        {
            Bind(_options.ServerPort, DhcpPorts.Server);
            Bind(_options.ProxyPort, DhcpPorts.PxeBootServer);
            foreach (var endPoint in LocalEndpoints)
            {
                Log.Listening(_log, _options.Mode.ToString().ToLowerInvariant(), endPoint, _options.InterfaceName is { } i ? $" on {i}" : "", server);
            }
        }
        catch
        {
            foreach (var s in _sockets)
            {
                s.Dispose();
            }
            _sockets.Clear();
            throw;
        }
        return Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync();
        if (_sweep is not null)
        {
            await _sweep.DisposeAsync();
        }
        foreach (var s in _sockets)
        {
            s.Dispose();
        }
        try
        {
            await Task.WhenAll(_loops);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    private void Bind(int port, int logicalPort)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _sockets.Add(socket);
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.EnableBroadcast = true;
        if (_options.InterfaceName is { } name)
        {
            if (!OperatingSystem.IsLinux())
            {
                throw new PlatformNotSupportedException("binding DHCP to an interface needs Linux SO_BINDTODEVICE");
            }
            socket.SetRawSocketOption(SolSocket, SoBindToDevice, Encoding.ASCII.GetBytes(name + "\0"));
        }
        socket.Bind(new IPEndPoint(_options.BindAddress, port));
        _loops.Add(Task.Run(() => ReceiveLoop(socket, logicalPort)));
    }

    private async Task ReceiveLoop(Socket socket, int logicalPort)
    {
        var buffer = new byte[ReceiveBufferSize];
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            SocketReceiveFromResult r;
            try
            {
                r = await socket.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), ct);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // ICMP port unreachable from an earlier send surfaces here; the socket is still good.
                Log.ReceiveError(_log, logicalPort, e.SocketErrorCode.ToString());
                continue;
            }
            var source = (IPEndPoint)r.RemoteEndPoint;
            DhcpOutcome outcome;
            try
            {
                outcome = _handle!(new DhcpInbound(buffer.AsMemory(0, r.ReceivedBytes), source, logicalPort));
            }
#pragma warning disable CA1031 // A bug in one packet's handling must not stop the server; it is reported.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.HandlerFailed(_log, source, logicalPort, e);
                continue;
            }
            if (outcome.Contact is { } contact)
            {
                RaiseContact(contact);
            }
            if (outcome.Reply is { } reply)
            {
                var to = reply.Destination;
                if (to.Address.Equals(IPAddress.Broadcast))
                {
                    to = new IPEndPoint(BroadcastTarget, _options.ClientPort);
                }
                else if (to.Port == DhcpPorts.Client)
                {
                    to = new IPEndPoint(to.Address, _options.ClientPort);
                }
                try
                {
                    await socket.SendToAsync(reply.Datagram, SocketFlags.None, to, ct);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
                {
                    return;
                }
                catch (SocketException e)
                {
                    Log.SendFailed(_log, source, logicalPort, to, e.SocketErrorCode.ToString());
                }
            }
            else if (outcome.DropReason is { } reason)
            {
                Log.NotAnswered(_log, source, logicalPort, reason);
            }
        }
    }

    private void SafeSweep()
    {
        try
        {
            _full?.OnTimer();
        }
#pragma warning disable CA1031 // A failing lease save is reported and retried on the next sweep.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.SweepFailed(_log, e.Message);
        }
    }

    private void RaiseContact(DhcpClientContact contact)
    {
        try
        {
            ClientContact?.Invoke(this, contact);
        }
#pragma warning disable CA1031 // Subscribers' failures must not stop the receive loop.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.ContactHandlerFailed(_log, e);
        }
    }

    private static IPAddress? InterfaceAddress(string? name)
    {
        if (name is null)
        {
            return null;
        }
        var nic = NetworkInterface.GetAllNetworkInterfaces().FirstOrDefault(n => n.Name == name)
            ?? throw new InvalidOperationException($"no network interface named '{name}'");
        return nic.GetIPProperties().UnicastAddresses.Select(u => u.Address).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
    }
}

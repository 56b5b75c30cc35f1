using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BareMetal.Interop.Tests.Dhcp;

/// <summary>
/// A minimal HTTP/1.0 server that answers every GET with one iPXE script and records the paths asked for:
/// enough to see iPXE follow the URL our DHCP gave it. (The real one is provisioning's.)
/// </summary>
public sealed class ScriptHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly byte[] _script;

    public ScriptHttpServer(IPAddress address, int port, string script)
    {
        _script = Encoding.ASCII.GetBytes(script);
        _listener = new TcpListener(address, port);
        _listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Start();
        _loop = Task.Run(Accept);
    }

    public ConcurrentQueue<string> Paths { get; } = new();

    private async Task Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            _ = Task.Run(() => Serve(client));
        }
    }

    private async Task Serve(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                var buf = new byte[8192];
                var got = 0;
                while (got < buf.Length && !Encoding.ASCII.GetString(buf, 0, got).Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var n = await stream.ReadAsync(buf.AsMemory(got), timeout.Token);
                    if (n == 0)
                    {
                        return;
                    }
                    got += n;
                }
                var requestLine = Encoding.ASCII.GetString(buf, 0, got).Split("\r\n")[0].Split(' ');
                Paths.Enqueue(requestLine.Length > 1 ? requestLine[1] : "");
                var head = Encoding.ASCII.GetBytes($"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {_script.Length}\r\nConnection: close\r\n\r\n");
                await stream.WriteAsync(head, timeout.Token);
                await stream.WriteAsync(_script, timeout.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}

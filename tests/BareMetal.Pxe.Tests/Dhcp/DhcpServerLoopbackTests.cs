using Microsoft.Extensions.Logging;
using BareMetal.TestSupport;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Tests.Dhcp;

/// <summary>The socket shell on loopback with ephemeral ports (no root needed); broadcasts are redirected to 127.0.0.1.</summary>
public class DhcpServerLoopbackTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static async Task<(DhcpServer Server, Socket Client)> Start(DhcpMode mode, LineLogger? logger = null)
    {
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        client.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var options = new DhcpServerOptions
        {
            Mode = mode,
            ServerAddress = IPAddress.Loopback,
            BindAddress = IPAddress.Loopback,
            ServerPort = 0,
            ProxyPort = 0,
            ClientPort = ((IPEndPoint)client.LocalEndPoint!).Port,
            Full = mode == DhcpMode.Full
                ? new FullDhcpOptions { ServerAddress = IPAddress.Loopback, RangeStart = IPAddress.Parse("127.0.0.100"), RangeEnd = IPAddress.Parse("127.0.0.110"), SubnetMask = IPAddress.Parse("255.0.0.0") }
                : null,
        };
        var server = new DhcpServer(options, null, logger: logger) { BroadcastTarget = IPAddress.Loopback };
        await server.StartAsync();
        return (server, client);
    }

    private static async Task<DhcpPacket> Receive(Socket client)
    {
        var buf = new byte[2048];
        using var cts = new CancellationTokenSource(Wait);
        var n = await client.ReceiveAsync(buf, SocketFlags.None, cts.Token);
        return DhcpCodec.Read(buf.AsSpan(0, n));
    }

    [Test]
    public async Task Proxy_AnswersDiscoverOn67AndRequestOn4011_AndReportsContacts()
    {
        var (server, client) = await Start(DhcpMode.Proxy);
        await using var _ = server;
        using var __ = client;
        var contacts = new ConcurrentQueue<DhcpClientContact>();
        server.ClientContact += (_, c) => contacts.Enqueue(c);
        var (port67, port4011) = (server.LocalEndpoints[0], server.LocalEndpoints[1]);

        await client.SendToAsync(Packets.PxeDiscover(0).Bytes(), port67);
        var offer = await Receive(client);
        Assert.That((offer.MessageType, offer.BootFile), Is.EqualTo(((DhcpMessageType?)DhcpMessageType.Offer, "undionly.kpxe")));

        await client.SendToAsync(Packets.PxeDiscover(7).With(DhcpMessageType.Request).Bytes(), port4011);
        var ack = await Receive(client);
        Assert.That((ack.MessageType, ack.BootFile), Is.EqualTo(((DhcpMessageType?)DhcpMessageType.Ack, "ipxe.efi")));
        Assert.That(contacts.Select(c => c.MessageType), Is.EqualTo(new[] { DhcpMessageType.Discover, DhcpMessageType.Request }));
    }

    [Test]
    public async Task Garbage_IsReportedAndDropped_AndTheServerKeepsAnswering()
    {
        var log = new LineLogger();
        var (server, client) = await Start(DhcpMode.Full, log);
        await using var _ = server;
        using var __ = client;
        server.ClientContact += (_, _) => throw new InvalidOperationException("a failing subscriber must not stop the loop");
        await client.SendToAsync(new byte[] { 1, 2, 3 }, server.LocalEndpoints[0]);
        await client.SendToAsync(Packets.Request(DhcpMessageType.Discover).Bytes(), server.LocalEndpoints[0]);
        var offer = await Receive(client);
        Assert.That(offer.YourAddress, Is.EqualTo(IPAddress.Parse("127.0.0.100")));
        Assert.That(log.At(LogLevel.Debug).Single(l => l.Contains("not answered", StringComparison.Ordinal)), Does.Contain("PacketTooShort"));
        Assert.That(log.At(LogLevel.Error).Single(), Does.Contain("client contact handler threw"));
    }

    [Test]
    public async Task FullMode_WithoutPool_RefusesToStart()
    {
        await using var server = new DhcpServer(new DhcpServerOptions { Mode = DhcpMode.Full, ServerAddress = IPAddress.Loopback, ServerPort = 0, ProxyPort = 0 }, null);
        Assert.ThrowsAsync<InvalidOperationException>(() => server.StartAsync());
    }
}

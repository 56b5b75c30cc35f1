using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BareMetal.ImageStore.Nbd.Server;

namespace BareMetal.ImageStore.Nbd.Tests;

public class ReceiveSpinTests
{
    [Test]
    public void PollsInVain_BackOffOneTwoFourUpToSixtyFourReceives_AndACatchResetsIt()
    {
        var spin = new ReceiveSpin();
        Assert.That(spin.ShouldSpin(), Is.True, "a new connection polls");
        var skipped = new List<int>();
        for (var round = 0; round < 8; round++)
        {
            spin.OnSpun(caught: false);
            var n = 0;
            while (!spin.ShouldSpin())
            {
                n++;
            }
            skipped.Add(n);
        }
        Assert.That(skipped, Is.EqualTo(new[] { 1, 2, 4, 8, 16, 32, 64, 64 }));
        spin.OnSpun(caught: true);
        Assert.That(spin.Skip, Is.Zero);
        Assert.That(spin.ShouldSpin(), Is.True);
    }

    [Test]
    public void Spin_CatchesBytesThatAreThere_GivesUpAfterItsTicks_AndNeverPollsWithoutASlot()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        // Slots are process-wide and other tests' connections may hold some: int.MaxValue keeps them out of it.
        var twoMs = Stopwatch.Frequency / 500;

        var idle = new ReceiveSpin();
        var t0 = Stopwatch.GetTimestamp();
        Assert.That(idle.Spin(server, twoMs, maxSpinning: int.MaxValue), Is.False, "nothing was sent");
        Assert.That(Stopwatch.GetTimestamp() - t0, Is.GreaterThanOrEqualTo(twoMs), "it polled for its whole time");
        Assert.That(idle.Skip, Is.EqualTo(1), "a poll in vain backs off");

        client.Send(new byte[] { 1 });
        var ready = new ReceiveSpin();
        Assert.That(ready.Spin(server, Stopwatch.Frequency * 5, maxSpinning: int.MaxValue), Is.True, "the byte is caught");
        Assert.That(ready.Skip, Is.Zero);

        var noSlot = new ReceiveSpin();
        Assert.That(noSlot.Spin(server, Stopwatch.Frequency * 5, maxSpinning: 0), Is.False, "no slot: no poll, even with bytes waiting");
        Assert.That(noSlot.Skip, Is.Zero, "a poll not made does not back off");
    }
}

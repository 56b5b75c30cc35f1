using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Iscsi;

/// <summary>Hostile and broken initiators over real sockets: the target stays up and keeps serving libiscsi.</summary>
[TestFixture]
[NonParallelizable]
public sealed class IscsiBadInputTests
{
    private static byte[] Pdu(byte opcode, byte flags, byte[] data, Action<byte[]>? fill = null)
    {
        var bhs = new byte[48];
        bhs[0] = opcode;
        bhs[1] = flags;
        bhs[5] = unchecked((byte)(data.Length >> 16));
        bhs[6] = unchecked((byte)(data.Length >> 8));
        bhs[7] = unchecked((byte)data.Length);
        fill?.Invoke(bhs);
        var all = new byte[48 + ((data.Length + 3) & ~3)];
        bhs.CopyTo(all, 0);
        data.CopyTo(all, 48);
        return all;
    }

    private static byte[] LoginPdu() => Pdu(0x43, 0x80 | (1 << 2) | 3, Encoding.ASCII.GetBytes(
        "InitiatorName=iqn.2026-11.test:bad\0TargetName=iqn.2026-11.dev.baremetal:disk\0InitialR2T=Yes\0ImmediateData=No\0MaxRecvDataSegmentLength=65536\0"));

    private static async Task<Socket> ConnectAsync(int port)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await s.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return s;
    }

    /// <summary>Reads one PDU (header + padded data); null when the target closed the connection.</summary>
    private static async Task<(byte[] Bhs, byte[] Data)?> ReadPduAsync(Socket s)
    {
        var bhs = new byte[48];
        if (!await ReadExactlyAsync(s, bhs))
        {
            return null;
        }
        var dsl = (bhs[5] << 16) | (bhs[6] << 8) | bhs[7];
        var data = new byte[(dsl + 3) & ~3];
        return await ReadExactlyAsync(s, data) ? (bhs, data[..dsl]) : null;
    }

    private static async Task<bool> ReadExactlyAsync(Socket s, byte[] buffer)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var got = 0;
        while (got < buffer.Length)
        {
            var n = await s.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                return false;
            }
            got += n;
        }
        return true;
    }

    private static async Task<Socket> LoggedInAsync(int port)
    {
        var s = await ConnectAsync(port);
        await s.SendAsync(LoginPdu());
        var r = await ReadPduAsync(s);
        Assert.That(r, Is.Not.Null);
        Assert.That(BinaryPrimitives.ReadUInt16BigEndian(r!.Value.Bhs.AsSpan(36)), Is.Zero, "login status");
        return s;
    }

    private static byte[] Write10Command(uint itt, uint cmdSN, uint lba, ushort blocks) => Pdu(0x01, 0x80 | 0x20, [], b =>
    {
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), itt);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(20), blocks * 512u);
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(24), cmdSN);
        b[32] = 0x2a;
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(34), lba);
        BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(39), blocks);
    });

    private static void AssertStillServes(IscsiTestTarget target)
    {
        var inq = Peer.Require("iscsi-inq", "libiscsi-bin");
        Assert.That(Peer.Check(inq, target.Url("disk")), Does.Contain("BAREMETL"));
    }

    [Test]
    public async Task HostileInitiators_AreRefused_AndTheTargetKeepsServing()
    {
        Peer.Require("iscsi-inq", "libiscsi-bin");
        var (dir, path) = IscsiLibiscsiTests.RandomDisk(4 * 1024 * 1024);
        using var _ = dir;
        using var exports = new FileExportProvider(DiskImage.Open(path, new OpenOptions { Writable = true }), readOnly: false, ["disk"]);
        await using var target = IscsiTestTarget.Start(exports);

        // Garbage instead of a login: closed without a reply.
        using (var s = await ConnectAsync(target.Port))
        {
            await s.SendAsync(Encoding.ASCII.GetBytes(new string('x', 200)));
            Assert.That(await ReadPduAsync(s), Is.Null);
        }

        // A login whose data segment claims 16 MiB: refused before the bytes are awaited.
        using (var s = await ConnectAsync(target.Port))
        {
            await s.SendAsync(Pdu(0x43, 0x87, [], b => { b[5] = 0xff; b[6] = 0xff; b[7] = 0xff; }));
            Assert.That(await ReadPduAsync(s), Is.Null);
        }

        // Garbage login keys: a Login Response with an initiator error, then close.
        using (var s = await ConnectAsync(target.Port))
        {
            await s.SendAsync(Pdu(0x43, 0x87, Encoding.ASCII.GetBytes("garbage-without-equals\0")));
            var r = await ReadPduAsync(s);
            Assert.That(r!.Value.Bhs[36], Is.EqualTo(2), "status class: initiator error");
            Assert.That(await ReadPduAsync(s), Is.Null);
        }

        // Logged in: Data-Out for an unknown task gets a Reject; the connection stays usable.
        using (var s = await LoggedInAsync(target.Port))
        {
            await s.SendAsync(Pdu(0x05, 0x80, new byte[512], b => BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), 0x999)));
            var r = await ReadPduAsync(s);
            Assert.That(r!.Value.Bhs[0] & 0x3f, Is.EqualTo(0x3f), "Reject");
            // A command far outside the CmdSN window is dropped silently; a NOP-Out still gets its NOP-In.
            await s.SendAsync(Write10Command(1, 0x40000000, 0, 1));
            await s.SendAsync(Pdu(0x40, 0x80, [], b => { BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), 5); BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(20), 0xffffffff); }));
            r = await ReadPduAsync(s);
            Assert.That(r!.Value.Bhs[0] & 0x3f, Is.EqualTo(0x20), "NOP-In, not an answer to the out-of-window write");
        }

        // A 16 MiB data segment after login: Reject, then the connection ends.
        using (var s = await LoggedInAsync(target.Port))
        {
            await s.SendAsync(Pdu(0x05, 0x80, [], b => { b[5] = 0xff; b[6] = 0xff; b[7] = 0xff; }));
            var r = await ReadPduAsync(s);
            Assert.That(r!.Value.Bhs[0] & 0x3f, Is.EqualTo(0x3f), "Reject");
            Assert.That(await ReadPduAsync(s), Is.Null);
        }

        // Disconnect in the middle of a write: the target asked for data (R2T) and the initiator vanishes.
        using (var s = await LoggedInAsync(target.Port))
        {
            await s.SendAsync(Write10Command(2, 0, 0, 64));
            var r = await ReadPduAsync(s);
            Assert.That(r!.Value.Bhs[0] & 0x3f, Is.EqualTo(0x31), "R2T");
            await s.SendAsync(Pdu(0x05, 0x00, new byte[4096], b => { BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(16), 2); Array.Copy(r.Value.Bhs, 20, b, 20, 4); }));
        }

        AssertStillServes(target);
    }

    [Test]
    public async Task ExportWithdrawn_IdleSessionIsClosedByTheTarget()
    {
        var (dir, path) = IscsiLibiscsiTests.RandomDisk(1024 * 1024);
        using var _ = dir;
        using var exports = new FileExportProvider(DiskImage.Open(path, new OpenOptions { Writable = true }), readOnly: false, ["disk"]);
        await using var target = IscsiTestTarget.Start(exports);
        using var s = await LoggedInAsync(target.Port);
        // A reset withdraws the export while the initiator sends nothing: the target hangs up rather
        // than leave a session on a disposed disk.
        exports.Export.Close();
        Assert.That(await ReadPduAsync(s), Is.Null, "the target closed the connection");
    }

    [Test]
    public async Task HundredConcurrentSessions_AllLogIn_AndTheTargetKeepsServing()
    {
        Peer.Require("iscsi-inq", "libiscsi-bin");
        var (dir, path) = IscsiLibiscsiTests.RandomDisk(4 * 1024 * 1024);
        using var _ = dir;
        using var exports = new FileExportProvider(DiskImage.Open(path), readOnly: true, ["disk"]);
        await using var target = IscsiTestTarget.Start(exports);
        var sockets = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => LoggedInAsync(target.Port)));
        try
        {
            Assert.That(target.Server.ConnectionCount, Is.EqualTo(100));
            AssertStillServes(target);
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
        }
    }
}

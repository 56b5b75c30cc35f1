using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Raw;
using BareMetal.ImageStore.Nbd.Client;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Server;
using BareMetal.MediatorModel.Simulation.Real;
using BareMetal.MediatorModel.Simulation.Scenarios;
using BareMetal.MediatorModel.Simulation.Strategies;
using BareMetal.TestSupport;

namespace BareMetal.MediatorModel.Tests.Real;

/// <summary>Real-network mode against our NBD server (the code `baremetal export` runs): the simulated
/// node's copy and redirected reads fetch real blocks, and the local disk file must end as the image
/// with the guest's writes applied. The expected file is computed independently: qemu-img converts the
/// export, and the guest's writes are laid over it with this test's own rendering of their content.</summary>
public class RealNetworkModeTests
{
    private const long ImageBytes = 64 << 20;
    private TempDir _dir = null!;
    private FileExportProvider _exports = null!;
    private NbdServer _server = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("sim-real");
        var image = _dir.File("image.raw");
        using (var f = new FileStream(image, FileMode.Create, FileAccess.Write))
        {
            f.SetLength(ImageBytes);
            var block = new byte[4096];
            for (long b = 0; b < ImageBytes / 4096; b++)
            {
                if (b % 7 == 3)
                {
                    continue; // leave holes, so the server sends OFFSET_HOLE chunks too
                }

                BinaryPrimitives.WriteInt64LittleEndian(block, b);
                block.AsSpan(8).Fill(unchecked((byte)(b * 31)));
                f.Position = b * 4096;
                f.Write(block);
            }
        }

        _exports = new FileExportProvider(new RawDisk(FileSource.Open(image, false), ImageFormat.Raw, false), readOnly: true, ["img"]);
        _server = new NbdServer(_exports, new NbdServerOptions { WatchdogPeriod = TimeSpan.FromHours(1) });
        _server.Start(new IPEndPoint(IPAddress.Loopback, 0));
    }

    [TearDown]
    public async Task TearDown()
    {
        await _server.DisposeAsync();
        _exports.Dispose();
        _dir.Dispose();
    }

    [Test]
    public async Task LocalDisk_EndsAsTheImageWithTheGuestsWritesApplied()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var port = _server.LocalEndPoint.Port;
        var diskPath = _dir.File("local-disk.raw");
        RunResult result;
        RealNetworkMode real;
        await using (var client = await NbdClient.ConnectAsync("127.0.0.1", port, "img"))
        {
            real = new RealNetworkMode(client, diskPath);
            using (real)
            {
                result = ScenarioRunner.RunReal(ScenarioLoader.BuiltIn("real-small"), real);
            }
        }

        var vmm = result["vmm"];
        Assert.Multiple(() =>
        {
            Assert.That(vmm.Violations, Is.Zero, vmm.FirstViolation);
            Assert.That(vmm.DevirtualizedSeconds, Is.Not.NaN, "the copy completed and the VMM left");
            Assert.That(real.GuestBlocksWritten, Is.GreaterThan(100), "the guest wrote while the copy ran");
            Assert.That(real.NetworkBytes, Is.GreaterThan(ImageBytes / 2), "real blocks crossed the network");
            Assert.That(real.GuestView, Has.Count.EqualTo(ImageBytes / 4096));
        });

        // Independent expectation: the export as qemu-img reads it, with the guest's writes laid over.
        var expectedPath = _dir.File("expected.raw");
        Peer.Check(qemuImg, "convert", "-f", "raw", "-O", "raw", $"nbd://127.0.0.1:{port}/img", expectedPath);
        var overwritten = 0;
        using (var f = new FileStream(expectedPath, FileMode.Open, FileAccess.ReadWrite))
        {
            Assert.That(f.Length, Is.EqualTo(ImageBytes));
            var block = new byte[4096];
            for (var b = 0; b < real.GuestView.Count; b++)
            {
                var tag = real.GuestView[b];
                if (tag > 0)
                {
                    Assert.That(tag, Is.EqualTo(b + 1), $"block {b} holds image block {tag - 1}");
                    continue;
                }

                // The documented content of a guest write: (seed xor -tag) * 0x9E3779B97F4A7C15, LE, repeated.
                var v = unchecked((real.ContentSeed ^ (ulong)-tag) * 0x9E3779B97F4A7C15UL);
                for (var i = 0; i < 4096; i += 8)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan(i), v);
                }

                f.Position = (long)b * 4096;
                f.Write(block);
                overwritten++;
            }
        }

        Assert.That(overwritten, Is.GreaterThan(100));
        Assert.That(Sha256(diskPath), Is.EqualTo(Sha256(expectedPath)), "local disk = image + guest writes");
        Assert.That(real.DiskSha256(), Is.EqualTo(Sha256(diskPath)));
    }

    [Test]
    public async Task ServerGoneMidRun_StopsTheRunWithTheCause()
    {
        var server = new NbdServer(_exports, new NbdServerOptions { WatchdogPeriod = TimeSpan.FromHours(1) });
        server.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var client = await NbdClient.ConnectAsync("127.0.0.1", server.LocalEndPoint.Port, "img");
        try
        {
            await server.DisposeAsync(); // closes the connection under the client
            using var real = new RealNetworkMode(client, _dir.File("local-disk.raw"));
            var e = Assert.Throws<RealNetworkException>(() => ScenarioRunner.RunReal(ScenarioLoader.BuiltIn("real-small"), real));
            Assert.That(e!.Message, Does.StartWith("real-network mode: NBD"));
            Assert.That(e.InnerException, Is.TypeOf<NbdClientException>());
            Assert.That(((NbdClientException)e.InnerException!).Error, Is.EqualTo(NbdClientError.ConnectionLost));
        }
        finally
        {
            await client.DisposeAsync();
        }
    }

    [Test]
    public void UnknownExport_IsAClearError()
    {
        var e = Assert.ThrowsAsync<NbdClientException>(() => NbdClient.ConnectAsync("127.0.0.1", _server.LocalEndPoint.Port, "nope"));
        Assert.That(e!.Message, Does.Contain("'nope'").And.Contain("does not exist"));
    }

    private static string Sha256(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}

using System.Diagnostics;
using System.Text;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Testing.Boot;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Provisioning;

/// <summary>
/// The tiny marker disk the provisioning end-to-end test streams to a node really boots: QEMU's BIOS
/// (SeaBIOS) loads its boot sector and the marker appears on the serial console.
/// </summary>
public class MarkerBootDiskTests
{
    private static readonly TimeSpan BootLimit = TimeSpan.FromSeconds(90);

    [Test]
    public async Task MarkerDisk_BootsInQemu_AndPrintsItsMarkerOnCom1()
    {
        var qemu = Peer.Require("qemu-system-x86_64", "qemu-system-x86");
        using var dir = new TempDir("bm-bootdisk");
        var disk = dir.File("marker.img");
        var marker = $"BareMetal marker {Guid.NewGuid():N}";
        MarkerBootDisk.Write(disk, marker);
        using (var opened = DiskImage.Open(disk))
        {
            Assert.That((opened.Format, opened.Length), Is.EqualTo((ImageFormat.Raw, MarkerBootDisk.DefaultSize)));
        }

        var psi = new ProcessStartInfo(qemu) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     "-accel", "tcg", "-m", "64", "-nographic", "-machine", "graphics=off", "-monitor", "none", "-nic", "none",
                     "-drive", $"file={disk},format=raw,if=ide,snapshot=on", "-boot", "c", "-serial", "stdio",
                 })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start qemu");
        var seen = new StringBuilder();
        var found = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        p.OutputDataReceived += (_, e) =>
        {
            lock (seen)
            {
                seen.AppendLine(e.Data);
                if (e.Data?.Contains(marker, StringComparison.Ordinal) == true)
                {
                    found.TrySetResult();
                }
            }
        };
        p.BeginOutputReadLine();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            var finished = await Task.WhenAny(found.Task, p.WaitForExitAsync(), Task.Delay(BootLimit));
            string output;
            lock (seen)
            {
                output = seen.ToString();
            }
            Assert.That(found.Task.IsCompleted, Is.True,
                $"marker not seen within {BootLimit.TotalSeconds} s (qemu {(p.HasExited ? $"exited {p.ExitCode}: {(await stderr).Trim()}" : "still running")}); serial: {output[^Math.Min(output.Length, 2000)..]}");
            Assert.That(finished, Is.SameAs(found.Task));
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
            await p.WaitForExitAsync();
            _ = await stderr;
        }
    }

    [Test]
    public void BootSector_HasTheSignatureAndRefusesMarkersThatDoNotFit()
    {
        var sector = MarkerBootDisk.BootSector("hi");
        Assert.Multiple(() =>
        {
            Assert.That((sector[510], sector[511]), Is.EqualTo(((byte)0x55, (byte)0xAA)));
            Assert.That(Encoding.ASCII.GetString(sector, 40, 5), Is.EqualTo("hi\r\n\0"));
            Assert.That(sector.AsSpan(446, 64).ToArray(), Is.All.Zero, "no partition table");
        });
        Assert.Throws<ArgumentException>(() => MarkerBootDisk.BootSector(new string('x', MarkerBootDisk.MaxMarkerLength + 1)));
        Assert.Throws<ArgumentException>(() => MarkerBootDisk.BootSector("new\nline"));
    }
}

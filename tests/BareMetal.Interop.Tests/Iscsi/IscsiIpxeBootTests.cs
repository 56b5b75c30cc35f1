using System.Diagnostics;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Iscsi;

/// <summary>
/// A real firmware boot: QEMU (TCG) runs its e1000 iPXE ROM, gets an iPXE script from QEMU's built-in
/// user-mode DHCP/TFTP, and the script sanboots our target. The guest reaches the target at 10.0.2.2,
/// which slirp maps to the host's 127.0.0.1 (nothing beyond loopback). The disk's boot sector prints a
/// marker on COM1; seeing it proves login (InitialR2T=Yes, ImmediateData=No), READ CAPACITY and READ.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class IscsiIpxeBootTests
{
    private const string Marker = "BAREMETAL-ISCSI-BOOT-OK";

    /// <summary>
    /// 32 MiB (iPXE's BIOS sanboot wants more than one cylinder) with an MBR whose real-mode code writes
    /// <see cref="Marker"/> to port 0x3f8 and halts.
    /// </summary>
    internal static byte[] BootSector()
    {
        byte[] code =
        [
            0xFA,                   // cli
            0x31, 0xC0,             // xor ax, ax
            0x8E, 0xD8,             // mov ds, ax
            0xBE, 0x16, 0x7C,       // mov si, 0x7c16 (the message, right after this code)
            0xBA, 0xF8, 0x03,       // mov dx, 0x3f8 (COM1)
            0xAC,                   // next: lodsb
            0x84, 0xC0,             // test al, al
            0x74, 0x03,             // jz done
            0xEE,                   // out dx, al
            0xEB, 0xF8,             // jmp next
            0xF4,                   // done: hlt
            0xEB, 0xFD,             // jmp done
        ];
        var sector = new byte[512];
        code.CopyTo(sector, 0);
        System.Text.Encoding.ASCII.GetBytes(Marker + "\r\n\0").CopyTo(sector, code.Length);
        sector[510] = 0x55;
        sector[511] = 0xAA;
        return sector;
    }

    [Test]
    [CancelAfter(180_000)]
    public async Task Ipxe_SanbootIscsi_RunsTheDisksBootSector()
    {
        using var dir = new TempDir("iscsi-ipxe");
        using var exports = BootExports(dir);
        await using var target = IscsiTestTarget.Start(exports);
        var (seen, log) = await BootAsync(dir, $"sanboot {SanUri(target)} || shell\n", Marker);
        Assert.That(seen, Is.True, $"no marker within 120 s. serial:\n{log}");
        Assert.That(exports.Export.Counters.Snapshot().BytesRead, Is.GreaterThanOrEqualTo(512), "the boot sector was read over iSCSI");
    }

    /// <summary>The iPXE URI of the boot target as the guest reaches it (slirp's 10.0.2.2 is the host's loopback).</summary>
    internal static string SanUri(IscsiTestTarget target) => $"iscsi:10.0.2.2::{target.Port}:0:iqn.2026-11.dev.baremetal:boot";

    /// <summary>The 32 MiB marker disk as the read-only export "boot".</summary>
    internal static FileExportProvider BootExports(TempDir dir)
    {
        var disk = dir.File("boot.raw");
        using (var f = File.Create(disk))
        {
            f.SetLength(32 * 1024 * 1024);
            f.Write(BootSector());
        }
        return new FileExportProvider(DiskImage.Open(disk), readOnly: true, ["boot"]);
    }

    /// <summary>
    /// Boots QEMU's e1000 iPXE ROM into <paramref name="script"/> (served by slirp's TFTP) and waits until
    /// <paramref name="expected"/> shows on COM1, where both the marker disk and iPXE's own console write.
    /// Returns whether it did, and the end of the serial log.
    /// </summary>
    internal static async Task<(bool Seen, string Serial)> BootAsync(TempDir dir, string script, string expected)
    {
        var qemu = Peer.Require("qemu-system-x86_64", "qemu-system-x86");
        if (!File.Exists("/usr/share/qemu/pxe-e1000.rom") && !File.Exists("/usr/lib/ipxe/qemu/pxe-e1000.rom"))
        {
            Peer.Require("/usr/lib/ipxe/qemu/pxe-e1000.rom", "ipxe-qemu");
        }
        File.WriteAllText(dir.File("boot.ipxe"), "#!ipxe\n" + script);
        var serial = dir.File("serial.log");
        var psi = new ProcessStartInfo(qemu)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[]
                 {
                     "-machine", "pc,accel=tcg,graphics=off", "-m", "256", "-display", "none", "-no-reboot",
                     "-serial", $"file:{serial}",
                     "-netdev", $"user,id=n0,tftp={dir.Path},bootfile=boot.ipxe", "-device", "e1000,netdev=n0", "-boot", "n",
                 })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        _ = p.StandardOutput.ReadToEndAsync();
        var started = Stopwatch.StartNew();
        var seen = false;
        try
        {
            while (started.Elapsed < TimeSpan.FromSeconds(120) && !p.HasExited)
            {
                if (File.Exists(serial) && (await File.ReadAllTextAsync(serial)).Contains(expected, StringComparison.Ordinal))
                {
                    seen = true;
                    break;
                }
                // Polling a file written by another process: there is no event to wait on.
                await Task.Delay(500);
            }
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
            await p.WaitForExitAsync();
        }
        var log = File.Exists(serial) ? await File.ReadAllTextAsync(serial) : "(no serial output)";
        TestContext.Out.WriteLine($"boot took {started.Elapsed.TotalSeconds:0.0} s");
        return (seen, $"{log[^Math.Min(3000, log.Length)..]}\nqemu: {await stderr}");
    }
}

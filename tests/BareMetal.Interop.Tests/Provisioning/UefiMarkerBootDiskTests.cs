using System.Buffers.Binary;
using System.Text;
using BareMetal.ImageStore.Formats.Testing.Boot;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Provisioning;

/// <summary>
/// The UEFI marker disk the UEFI end-to-end test streams: its FAT holds \EFI\BOOT\BOOTX64.EFI (read
/// back here by walking the file system as a FAT driver does), and OVMF really boots it from a local
/// disk, printing the marker on COM1.
/// </summary>
public class UefiMarkerBootDiskTests
{
    private static readonly TimeSpan BootLimit = TimeSpan.FromSeconds(120);

    [Test]
    public void Disk_HasAnEspWhoseFatLeadsToBootx64Efi_AndThatFileIsAPe32PlusEfiApplication()
    {
        using var dir = new TempDir("bm-uefidisk");
        var path = dir.File("uefi.img");
        UefiMarkerBootDisk.Write(path, "hello uefi");
        var disk = File.ReadAllBytes(path);
        Assert.That(disk, Has.Length.EqualTo(UefiMarkerBootDisk.DefaultSize));
        Assert.That((disk[510], disk[511], disk[446 + 4]), Is.EqualTo(((byte)0x55, (byte)0xAA, (byte)0xEF)), "MBR signature and an EFI system partition");
        var start = BinaryPrimitives.ReadInt32LittleEndian(disk.AsSpan(446 + 8)) * 512L;
        var bpb = disk.AsSpan((int)start, 512);
        int bytesPerSector = BinaryPrimitives.ReadUInt16LittleEndian(bpb[11..]);
        int perCluster = bpb[13];
        int reserved = BinaryPrimitives.ReadUInt16LittleEndian(bpb[14..]);
        int fats = bpb[16];
        int rootEntries = BinaryPrimitives.ReadUInt16LittleEndian(bpb[17..]);
        int total = BinaryPrimitives.ReadUInt16LittleEndian(bpb[19..]);
        int fatSize = BinaryPrimitives.ReadUInt16LittleEndian(bpb[22..]);
        var rootSector = reserved + (fats * fatSize);
        var dataSector = rootSector + (rootEntries * 32 / bytesPerSector);
        var clusters = (total - dataSector) / perCluster;
        Assert.That((bytesPerSector, bpb[510], bpb[511]), Is.EqualTo((512, (byte)0x55, (byte)0xAA)));
        Assert.That(clusters, Is.InRange(4085, 65524), "a FAT16 cluster count (the only thing that decides the FAT type)");

        Span<byte> Sector(long s) => disk.AsSpan((int)(start + (s * bytesPerSector)));
        Span<byte> Cluster(int c) => Sector(dataSector + ((long)(c - 2) * perCluster))[..(perCluster * bytesPerSector)];
        (int Cluster, int Size, byte Attr) Find(Span<byte> entries, string name83)
        {
            for (var i = 0; i + 32 <= entries.Length && entries[i] != 0; i += 32)
            {
                if (Encoding.ASCII.GetString(entries.Slice(i, 11)) == name83)
                {
                    return (BinaryPrimitives.ReadUInt16LittleEndian(entries[(i + 26)..]), BinaryPrimitives.ReadInt32LittleEndian(entries[(i + 28)..]), entries[i + 11]);
                }
            }
            throw new AssertionException($"no '{name83}' in the directory");
        }
        var efi = Find(Sector(rootSector)[..(rootEntries * 32)], "EFI        ");
        var boot = Find(Cluster(efi.Cluster), "BOOT       ");
        var app = Find(Cluster(boot.Cluster), "BOOTX64 EFI");
        Assert.That((efi.Attr, boot.Attr, app.Attr), Is.EqualTo(((byte)0x10, (byte)0x10, (byte)0x20)));
        // Follow the file's cluster chain through the first FAT to its end-of-chain mark.
        var content = new List<byte>();
        for (var c = app.Cluster; c < 0xFFF8; c = BinaryPrimitives.ReadUInt16LittleEndian(Sector(reserved)[(c * 2)..]))
        {
            content.AddRange(Cluster(c).ToArray());
        }
        var bytes = content.Take(app.Size).ToArray();
        Assert.That(bytes, Is.EqualTo(UefiMarkerBootDisk.EfiApplication("hello uefi")));
        var pe = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(0x3C));
        Assert.Multiple(() =>
        {
            Assert.That(Encoding.ASCII.GetString(bytes, 0, 2), Is.EqualTo("MZ"));
            Assert.That(Encoding.ASCII.GetString(bytes, pe, 4), Is.EqualTo("PE\0\0"));
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pe + 4)), Is.EqualTo(0x8664), "x86-64");
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pe + 24)), Is.EqualTo(0x20B), "PE32+");
            Assert.That(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(pe + 24 + 68)), Is.EqualTo(10), "EFI application subsystem");
            Assert.That(Encoding.ASCII.GetString(bytes), Does.Contain("hello uefi\r\n"));
        });
        Assert.Throws<ArgumentException>(() => UefiMarkerBootDisk.EfiApplication("new\nline"));
        Assert.Throws<ArgumentException>(() => UefiMarkerBootDisk.EfiApplication(new string('x', UefiMarkerBootDisk.MaxMarkerLength + 1)));
    }

    [Test]
    public async Task Disk_BootsInOvmf_AndPrintsItsMarkerOnCom1()
    {
        var qemu = Peer.Require("qemu-system-x86_64", "qemu-system-x86");
        var ovmf = Peer.Require("/usr/share/ovmf/OVMF.fd", "ovmf");
        using var dir = new TempDir("bm-uefiboot");
        var disk = dir.File("uefi.img");
        var marker = $"BareMetal UEFI marker {Guid.NewGuid():N}";
        UefiMarkerBootDisk.Write(disk, marker);
        var serial = dir.File("serial.log");
        var psi = new System.Diagnostics.ProcessStartInfo(qemu) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        // OVMF boots the disk by its removable-media path; QEMU never exits by itself, so it is killed below.
        foreach (var a in new[]
                 {
                     "-accel", "tcg", "-m", "256", "-nographic", "-machine", "graphics=off", "-monitor", "none", "-nic", "none",
                     "-bios", ovmf, "-drive", $"file={disk},format=raw,if=virtio,snapshot=on", "-serial", $"file:{serial}",
                 })
        {
            psi.ArgumentList.Add(a);
        }
        using var p = System.Diagnostics.Process.Start(psi) ?? throw new InvalidOperationException("cannot start qemu");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        var seen = false;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (!seen && !p.HasExited && watch.Elapsed < BootLimit)
            {
                await Task.Delay(500);
                seen = File.Exists(serial) && (await File.ReadAllTextAsync(serial)).Contains(marker, StringComparison.Ordinal);
            }
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
            await p.WaitForExitAsync();
            _ = await stdout;
        }
        var output = File.Exists(serial) ? await File.ReadAllTextAsync(serial) : "(no serial output)";
        Assert.That(seen, Is.True, $"marker not seen within {BootLimit.TotalSeconds} s ({(await stderr).Trim()}); serial: {output[^Math.Min(output.Length, 2000)..]}");
    }
}

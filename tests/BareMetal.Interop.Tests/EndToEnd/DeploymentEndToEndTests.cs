using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using BareMetal.ImageStore.Formats.Testing.Boot;
using BareMetal.Interop.Tests.Dhcp;
using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Web;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.EndToEnd;

/// <summary>
/// Issue 5's whole story on one QEMU machine against the whole server in-process, driven only through
/// the REST API over HTTP as a user would: an image goes into the catalog, an unknown node PXE-boots
/// and registers itself, it is assigned the image in stream mode, its wait-and-retry script picks the
/// assignment up without a reboot, iPXE sanboots the node's overlay over HTTP from our block service,
/// the image's own boot sector prints its marker, and the API and the console show the states.
/// Variants: the same over iSCSI (setting boot.stream.protocol), a UEFI node (EDK2 PXE, iPXE, an EFI
/// system partition), and a node assigned local after streaming that reboots into its own disk.
/// </summary>
[NonParallelizable]
public class DeploymentEndToEndTests
{
    /// <summary>Hard limit on QEMU's life (it is killed after it).</summary>
    private static readonly TimeSpan QemuLimit = TimeSpan.FromSeconds(300);

    /// <summary>Firmware + iPXE ROM + DHCP + first script under TCG.</summary>
    private static readonly TimeSpan FirstScriptLimit = TimeSpan.FromSeconds(150);

    /// <summary>The retry script sleeps <see cref="BootScriptRenderer.RetrySeconds"/> twice at most, then sanboot reads a few sectors.</summary>
    private static readonly TimeSpan StreamLimit = TimeSpan.FromSeconds(90);

    /// <summary>The progress pump samples the block service every second.</summary>
    private static readonly TimeSpan ApiLimit = TimeSpan.FromSeconds(20);

    [Test]
    public async Task BiosNode_RegistersOnPxe_IsAssignedAStreamImage_AndSanbootsItOverHttp_WithStatesInApiAndConsole()
    {
        await using var h = QemuPxeHarness.Create();
        using var data = new TempDir("e2e-deploy");
        using var work = new TempDir("e2e-image");
        var password = NewPassword();
        await using var server = await StartServerAsync(h, data.Path, password);
        using var api = await ServerApi.LogInAsync(server.HttpAddress!, password);

        // 1. The image: a tiny raw disk whose boot sector prints a marker on COM1, uploaded like any image.
        var marker = $"BareMetal marker {Guid.NewGuid():N}";
        var disk = work.File("marker.img");
        MarkerBootDisk.Write(disk, marker);
        var image = await api.UploadImageAsync(disk, "marker", "marker disk");
        Assert.Multiple(() =>
        {
            Assert.That(image["name"]?.GetValue<string>(), Is.EqualTo("marker"));
            Assert.That(image["version"]?.GetValue<int>(), Is.EqualTo(1));
            Assert.That(image["format"]?.GetValue<string>(), Is.EqualTo("raw"));
            Assert.That(image["virtualSize"]?.GetValue<long>(), Is.EqualTo(MarkerBootDisk.DefaultSize));
            Assert.That(image["sha256"]?.GetValue<string>(), Is.EqualTo(Hash.Sha256File(disk)).IgnoreCase);
            Assert.That(image["exportName"]?.GetValue<string>(), Is.EqualTo("marker.v1"));
        });

        // 2. An unknown node boots: our DHCP, then the wait-and-retry script over our HTTP. The console's
        //    live feed is open from before its first packet.
        await using var feed = await api.OpenChangeFeedAsync();
        var mac = QemuPxeHarness.Mac;
        h.StartQemu(QemuFirmware.Bios, QemuLimit);
        var waiting = $"BareMetal: node {mac} {BootScriptRenderer.NotAssignedMarker}";
        Assert.That(await h.WaitForSerial(waiting, FirstScriptLimit), Is.True, $"no '{waiting}' on the serial console:\n{h.SerialTail()}");

        var node = (await api.NodesAsync()).SingleOrDefault(n => n?["mac"]?.GetValue<string>() == mac);
        Assert.That(node, Is.Not.Null, "the node did not register itself on its PXE contact");
        Assert.Multiple(() =>
        {
            Assert.That(node!["architecture"]?.GetValue<string>(), Is.EqualTo("IntelX86Pc"), node.ToJsonString());
            Assert.That(node["firmware"]?.GetValue<string>(), Is.Not.Null.And.Not.EqualTo("other"), node.ToJsonString());
            Assert.That(node["ip"]?.GetValue<string>(), Does.StartWith($"10.213.{h.Subnet}."), node.ToJsonString());
            Assert.That(node["addedByHand"]?.GetValue<bool>(), Is.False);
            Assert.That(node["mode"]?.GetValue<string>(), Is.EqualTo("none"));
            Assert.That(node["state"]?.GetValue<string>(), Is.EqualTo("bootloader"), node.ToJsonString());
        });
        var nodesPage = await api.ConsolePageAsync("/nodes");
        Assert.That(nodesPage, Does.Contain($"data-mac=\"{mac}\"").And.Contain("registered on contact").And.Contain("waits for an assignment"));

        // Refused assignments change nothing; a reserved mode is accepted, and the node says why it still waits.
        var missing = await api.AssignRefusedAsync(mac, "no-such-image", "stream", HttpStatusCode.NotFound);
        Assert.That(missing["detail"]?.GetValue<string>(), Does.Contain("no-such-image"), missing.ToJsonString());
        var badMode = await api.AssignRefusedAsync(mac, "marker", "sideways", HttpStatusCode.BadRequest);
        Assert.That(badMode["detail"]?.GetValue<string>(), Does.Contain("sideways"), badMode.ToJsonString());
        await api.AssignAsync(mac, "marker", "devirt");
        var reserved = $"BareMetal: node {mac}: mode devirt is reserved"; // iPXE wraps the rest at 80 columns
        Assert.That(await h.WaitForSerial(reserved, StreamLimit), Is.True, $"no '{reserved}' on the serial console:\n{h.SerialTail()}");

        // 3. Assign it; no reboot: its retry loop fetches the script again and now gets `sanboot`.
        var assignedAt = TruncateToMs(DateTimeOffset.UtcNow);
        var assigned = await api.AssignAsync(mac, "marker", "stream");
        Assert.That((assigned["mode"]?.GetValue<string>(), assigned["image"]?.GetValue<string>()), Is.EqualTo(("stream", "marker")));

        // 4. The image's own boot sector ran: iPXE read it over HTTP from the node's overlay export.
        Assert.That(await h.WaitForSerial(marker, StreamLimit), Is.True, $"the disk's marker '{marker}' never appeared:\n{h.SerialTail()}");
        Assert.That(Unwrapped(h), Does.Contain($"BareMetal: streaming {server.BaseUrl}/disk/marker.v1@525400b00701"));

        // 5. The deployment: pxe (DHCP) -> bootloader (script) -> streaming (disk reads), in time order.
        var deployment = await Eventually(async () => (await api.DeploymentsAsync(mac))[0]!,
            d => d["state"]?.GetValue<string>() == "streaming" && d["progress"]?["bytesStreamed"]?.GetValue<long>() >= 512, ApiLimit);
        var history = deployment["history"]!.AsArray();
        var states = history.Select(s => s!["state"]!.GetValue<string>()).ToList();
        var sources = history.Select(s => s!["source"]!.GetValue<string>()).ToList();
        var times = history.Select(s => s!["at"]!.GetValue<DateTimeOffset>()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(states, Is.EqualTo(new[] { "pxe", "bootloader", "streaming" }), deployment.ToJsonString());
            Assert.That(sources, Is.EqualTo(new[] { "dhcp", "boot-script", "disk" }), deployment.ToJsonString());
            Assert.That(history[0]!["from"], Is.Null);
            Assert.That(times, Is.Ordered, deployment.ToJsonString());
            Assert.That(times[0], Is.EqualTo(deployment["startedAt"]!.GetValue<DateTimeOffset>()));
            Assert.That(times[1], Is.LessThan(assignedAt), "the node reached its script before it was assigned");
            Assert.That(times[2], Is.GreaterThanOrEqualTo(assignedAt), "it streamed only after the assignment");
            Assert.That(deployment["endedAt"], Is.Null);
            Assert.That(deployment["mode"]?.GetValue<string>(), Is.EqualTo("stream"), deployment.ToJsonString());
            Assert.That(deployment["image"]?.GetValue<string>(), Is.EqualTo("marker"), deployment.ToJsonString());
            Assert.That(deployment["progress"]!["blocksFetched"]!.GetValue<long>(), Is.GreaterThan(0));
        });

        // 6. The console shows the same: live (each move reached the SSE feed as it happened) and on its
        //    pages (the node's state, and each transition in the history table).
        var live = Events(feed, "deployment", mac).Select(d => d["state"]!.GetValue<string>()).ToList();
        Assert.That(live, Is.EqualTo(new[] { "pxe", "bootloader", "streaming" }), "deployment events on the live feed");
        var added = Events(feed, "node", mac).FirstOrDefault();
        Assert.That(added?["architecture"]?.GetValue<string>(), Is.EqualTo("IntelX86Pc"), "the new node reached the live feed");
        Assert.That(Events(feed, "deployment", mac)[^1]["progress"]!["bytesStreamed"]!.GetValue<long>(), Is.GreaterThan(0), "the move to streaming carries the bytes read");
        var deploymentsPage = await api.ConsolePageAsync("/deployments");
        Assert.That(deploymentsPage, Does.Contain($"<tr data-mac=\"{mac}\">"));
        Assert.That(deploymentsPage, Does.Contain("data-field=\"state\">streaming</span>"));
        foreach (var state in states)
        {
            Assert.That(deploymentsPage, Does.Contain($"\">{state}</span></td>"), $"the history table has no '{state}' row");
        }
        nodesPage = await api.ConsolePageAsync("/nodes");
        Assert.That(nodesPage, Does.Contain("data-field=\"state\">streaming</span>").And.Contain("<strong>stream</strong>"));
    }

    [Test]
    public async Task BiosNode_AssignedLocalAfterStreaming_RebootsIntoItsOwnDisk_AndTheDeploymentIsDone()
    {
        await using var h = QemuPxeHarness.Create();
        using var data = new TempDir("e2e-local");
        using var work = new TempDir("e2e-local-image");
        var password = NewPassword();
        await using var server = await StartServerAsync(h, data.Path, password);
        using var api = await ServerApi.LogInAsync(server.HttpAddress!, password);
        var streamed = $"BareMetal streamed {Guid.NewGuid():N}";
        var image = work.File("image.img");
        MarkerBootDisk.Write(image, streamed);
        await api.UploadImageAsync(image, "marker", "marker disk");
        // The machine's own disk prints a different marker: seeing it proves the node booted locally.
        var local = $"BareMetal local disk {Guid.NewGuid():N}";
        var ownDisk = work.File("own-disk.img");
        MarkerBootDisk.Write(ownDisk, local);

        // Network first (-boot n): unassigned it waits; assigned stream, it boots the image, not its disk.
        var mac = QemuPxeHarness.Mac;
        h.StartQemu(QemuFirmware.Bios, QemuLimit, ownDisk);
        var waiting = $"BareMetal: node {mac} {BootScriptRenderer.NotAssignedMarker}";
        Assert.That(await h.WaitForSerial(waiting, FirstScriptLimit), Is.True, $"no '{waiting}' on the serial console:\n{h.SerialTail()}");
        await api.AssignAsync(mac, "marker", "stream");
        Assert.That(await h.WaitForSerial(streamed, StreamLimit), Is.True, $"the streamed image's marker never appeared:\n{h.SerialTail()}");
        Assert.That(h.SerialTail(), Does.Not.Contain(local));
        var first = await Eventually(async () => (await api.DeploymentsAsync(mac))[0]!, d => d["state"]?.GetValue<string>() == "streaming", ApiLimit);

        // Assigned local, then power-cycled: a new boot (our DHCP sees it) whose script sends it to drive 0x80.
        var assigned = await api.AssignAsync(mac, "marker", "local");
        Assert.That(assigned["mode"]?.GetValue<string>(), Is.EqualTo("local"));
        await h.PowerOffAsync();
        h.StartQemu(QemuFirmware.Bios, QemuLimit, ownDisk);
        Assert.That(await h.WaitForSerial(local, FirstScriptLimit), Is.True, $"the local disk's marker never appeared:\n{h.SerialTail()}");
        var serial = h.SerialTail();
        Assert.That(serial, Does.Contain($"BareMetal: node {mac} boots its local disk").And.Not.Contain(streamed));

        var deployments = await Eventually(async () => await api.DeploymentsAsync(mac), d => d[0]?["state"]?.GetValue<string>() == "done", ApiLimit);
        var second = deployments[0]!;
        var previous = deployments[1]!;
        Assert.Multiple(() =>
        {
            Assert.That(second["history"]!.AsArray().Select(s => s!["state"]!.GetValue<string>()), Is.EqualTo(new[] { "pxe", "bootloader", "done" }), second.ToJsonString());
            Assert.That(second["history"]!.AsArray().Select(s => s!["source"]!.GetValue<string>()), Is.EqualTo(new[] { "dhcp", "boot-script", "boot-script" }), second.ToJsonString());
            Assert.That(second["mode"]?.GetValue<string>(), Is.EqualTo("local"));
            Assert.That(second["endedAt"]?.GetValue<DateTimeOffset>(), Is.EqualTo(second["history"]![2]!["at"]!.GetValue<DateTimeOffset>()));
            Assert.That(second["progress"]!["bytesStreamed"]!.GetValue<long>(), Is.Zero, "a local boot reads nothing from us");
            Assert.That(previous["id"]!.GetValue<long>(), Is.EqualTo(first["id"]!.GetValue<long>()));
            Assert.That(previous["state"]?.GetValue<string>(), Is.EqualTo("streaming"));
            Assert.That(previous["mode"]?.GetValue<string>(), Is.EqualTo("stream"));
            Assert.That(previous["endedAt"]?.GetValue<DateTimeOffset>(), Is.LessThanOrEqualTo(second["startedAt"]!.GetValue<DateTimeOffset>()));
        });
        var page = await api.ConsolePageAsync("/deployments");
        Assert.That(page, Does.Contain("data-field=\"state\">done</span>").And.Contain("\">done</span></td>"));
    }

    /// <summary>The copier reads the image over HTTP range through iPXE and writes it to IDE, all under TCG.</summary>
    private static readonly TimeSpan CopyLimit = TimeSpan.FromSeconds(180);

    /// <summary>Deploy's image: above iPXE's one-cylinder minimum (about 7.8 MiB), small enough to copy quickly under TCG.</summary>
    private const long DeployImageSize = 8L << 20;

    [Test]
    public async Task BiosNode_InDeployMode_CopiesTheImageOntoItsEmptyLocalDisk_ThenBootsThatDisk_WithCopyingAndDoneInTheApi()
    {
        var clock = Stopwatch.StartNew();
        await using var h = QemuPxeHarness.Create();
        using var data = new TempDir("e2e-deploy-copy");
        using var work = new TempDir("e2e-deploy-disks");
        var password = NewPassword();
        await using var server = await StartServerAsync(h, data.Path, password);
        using var api = await ServerApi.LogInAsync(server.HttpAddress!, password);
        var marker = $"BareMetal deployed {Guid.NewGuid():N}";
        var image = work.File("image.img");
        MarkerBootDisk.Write(image, marker, DeployImageSize);
        await api.UploadImageAsync(image, "marker", "marker disk");
        // The node's own disk: twice the image, all zeros (nothing bootable until the copy lands).
        var localDisk = work.File("local-disk.img");
        using (var f = File.Create(localDisk))
        {
            f.SetLength(2 * DeployImageSize);
        }

        // Known before it boots: added by hand and assigned deploy, so its first script is the deploy script.
        var mac = QemuPxeHarness.Mac;
        await api.AddNodeAsync(mac, "IntelX86Pc");
        await api.AssignAsync(mac, "marker", "deploy");
        await using var feed = await api.OpenChangeFeedAsync();
        h.StartQemu(QemuFirmware.Bios, QemuLimit, localDisk, writeLocalDisk: true);
        var deploying = $"BareMetal: node {mac} deploys";
        Assert.That(await h.WaitForSerial(deploying, FirstScriptLimit), Is.True, $"no '{deploying}' on the serial console:\n{h.SerialTail()}");
        Assert.That(await h.WaitForSerial("BareMetal deploy: copy complete", CopyLimit), Is.True, $"the copier did not finish:\n{h.SerialTail()}");
        // The marker comes from the LOCAL disk: the image's export was unhooked and drive 0x80 booted.
        Assert.That(await h.WaitForSerial(marker, StreamLimit), Is.True, $"the copied disk's marker never appeared:\n{h.SerialTail()}");
        var serial = Unwrapped(h);
        Assert.That(serial, Does.Contain($"deploys {server.BaseUrl}/disk/marker.v1 to its local disk").And.Contain($"BareMetal: node {mac} is deployed; booting its local disk"));
        Assert.That(serial, Does.Contain("BareMetal deploy: image 16384 sectors, local disk 32768 sectors"));

        var deployment = await Eventually(async () => (await api.DeploymentsAsync(mac))[0]!, d => d["state"]?.GetValue<string>() == "done", ApiLimit);
        var history = deployment["history"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(history.Select(s => s!["state"]!.GetValue<string>()), Is.EqualTo(new[] { "pxe", "bootloader", "copying", "done" }), deployment.ToJsonString());
            Assert.That(history.Select(s => s!["source"]!.GetValue<string>()), Is.EqualTo(new[] { "dhcp", "boot-script", "disk", "node" }), deployment.ToJsonString());
            Assert.That((deployment["mode"]?.GetValue<string>(), deployment["image"]?.GetValue<string>()), Is.EqualTo(("deploy", "marker")));
            Assert.That(deployment["progress"]!["copyPercent"]!.GetValue<double>(), Is.EqualTo(100));
            Assert.That(deployment["progress"]!["bytesStreamed"]!.GetValue<long>(), Is.GreaterThanOrEqualTo(DeployImageSize), "every byte of the image was read from the export");
            Assert.That(deployment["endedAt"], Is.Not.Null);
        });
        // Live: the move to copying reached the SSE feed, and so did copy percentages on the way to 100.
        var live = Events(feed, "deployment", mac);
        Assert.That(live.Select(d => d["state"]!.GetValue<string>()).Distinct(), Is.EqualTo(new[] { "pxe", "bootloader", "copying", "done" }), "deployment states on the live feed");
        Assert.That(live.Where(d => d["state"]!.GetValue<string>() == "copying").Select(d => d["progress"]!["copyPercent"]!.GetValue<double>()),
            Has.Some.GreaterThan(0).And.All.LessThanOrEqualTo(100), "copy % on the live feed");

        // Power off; the node's disk now starts with the image, byte for byte.
        await h.PowerOffAsync();
        var expected = await File.ReadAllBytesAsync(image);
        var copied = new byte[expected.Length];
        await using (var f = File.OpenRead(localDisk))
        {
            await f.ReadExactlyAsync(copied);
        }
        Assert.That(copied.AsSpan().SequenceEqual(expected), Is.True, "the local disk's first 8 MiB are not the image");
        TestContext.Out.WriteLine($"deploy end to end: {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Test]
    public async Task BiosNode_InDeployMode_WithALocalDiskSmallerThanTheImage_CopiesNothing_AndTheDeploymentFails()
    {
        await using var h = QemuPxeHarness.Create();
        using var data = new TempDir("e2e-deploy-small");
        using var work = new TempDir("e2e-deploy-small-disks");
        var password = NewPassword();
        await using var server = await StartServerAsync(h, data.Path, password);
        using var api = await ServerApi.LogInAsync(server.HttpAddress!, password);
        var image = work.File("image.img");
        MarkerBootDisk.Write(image, "BareMetal never booted", DeployImageSize);
        await api.UploadImageAsync(image, "marker", "marker disk");
        var localDisk = work.File("small-disk.img");
        using (var f = File.Create(localDisk))
        {
            f.SetLength(DeployImageSize / 2);
        }
        var mac = QemuPxeHarness.Mac;
        await api.AddNodeAsync(mac, "IntelX86Pc");
        await api.AssignAsync(mac, "marker", "deploy");
        h.StartQemu(QemuFirmware.Bios, QemuLimit, localDisk, writeLocalDisk: true);

        // The copier refuses before writing a sector, says why, and the script reports the failure.
        Assert.That(await h.WaitForSerial("the local disk is smaller than the image", FirstScriptLimit + CopyLimit), Is.True, $"no refusal on the serial console:\n{h.SerialTail()}");
        Assert.That(await h.WaitForSerial("deploy failed: the copier failed", StreamLimit), Is.True, $"the script did not report the failure:\n{h.SerialTail()}");
        var deployment = await Eventually(async () => (await api.DeploymentsAsync(mac))[0]!, d => d["state"]?.GetValue<string>() == "failed", ApiLimit);
        Assert.Multiple(() =>
        {
            Assert.That(deployment["error"]?.GetValue<string>(), Does.StartWith("the copier failed"), deployment.ToJsonString());
            Assert.That(deployment["history"]!.AsArray()[^1]!["source"]?.GetValue<string>(), Is.EqualTo("node"));
            Assert.That(deployment["endedAt"], Is.Not.Null);
        });
        Assert.That(Unwrapped(h), Does.Contain("BareMetal deploy: image 16384 sectors, local disk 8192 sectors"));
        await h.PowerOffAsync();
        Assert.That(File.ReadAllBytes(localDisk).All(b => b == 0), Is.True, "the refused copy wrote nothing");
    }

    [Test]
    public async Task BiosNode_WithStreamProtocolIscsi_SanbootsItsOverlayFromOurIscsiTarget()
    {
        await using var h = QemuPxeHarness.Create();
        using var data = new TempDir("e2e-iscsi");
        var password = NewPassword();
        await using var server = await StartServerAsync(h, data.Path, password, iscsi: true);
        using var api = await ServerApi.LogInAsync(server.HttpAddress!, password);
        var settings = await api.SetSettingAsync("boot.stream.protocol", "iscsi");
        Assert.That(settings["boot.stream.protocol"]?.GetValue<string>(), Is.EqualTo("iscsi"));
        // This time the image is imported from a path on the server (data/import), the other way in.
        var marker = $"BareMetal over iSCSI {Guid.NewGuid():N}";
        var disk = Path.Combine(data.Path, "import", "marker.img");
        MarkerBootDisk.Write(disk, marker);
        var sha256 = Hash.Sha256File(disk);
        var image = await api.ImportImageAsync(disk, "marker");
        Assert.That((image["exportName"]?.GetValue<string>(), image["sha256"]?.GetValue<string>()?.ToLowerInvariant()), Is.EqualTo(("marker.v1", sha256)));

        var mac = QemuPxeHarness.Mac;
        h.StartQemu(QemuFirmware.Bios, QemuLimit);
        var waiting = $"BareMetal: node {mac} {BootScriptRenderer.NotAssignedMarker}";
        Assert.That(await h.WaitForSerial(waiting, FirstScriptLimit), Is.True, $"no '{waiting}' on the serial console:\n{h.SerialTail()}");
        await api.AssignAsync(mac, "marker", "stream");
        Assert.That(await h.WaitForSerial(marker, StreamLimit), Is.True, $"the disk's marker '{marker}' never appeared:\n{h.SerialTail()}");
        Assert.That(Unwrapped(h), Does.Contain($"BareMetal: streaming iscsi:{h.HostAddress}::3260:0:iqn.2026-11.dev.baremetal:marker.v1:525400b00701"));

        // The reads went through the node's overlay export (the same counters as HTTP), and it shows.
        var deployment = await Eventually(async () => (await api.DeploymentsAsync(mac))[0]!,
            d => d["state"]?.GetValue<string>() == "streaming" && d["progress"]?["bytesStreamed"]?.GetValue<long>() >= 512, ApiLimit);
        var history = deployment["history"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(history.Select(s => s!["state"]!.GetValue<string>()), Is.EqualTo(new[] { "pxe", "bootloader", "streaming" }), deployment.ToJsonString());
            Assert.That(history[2]!["detail"]?.GetValue<string>(), Is.EqualTo("marker.v1@525400b00701"));
            Assert.That((deployment["mode"]?.GetValue<string>(), deployment["image"]?.GetValue<string>()), Is.EqualTo(("stream", "marker")));
        });
        Assert.That(await api.ConsolePageAsync("/deployments"), Does.Contain("data-field=\"state\">streaming</span>"));
    }

    [Test]
    public async Task UefiNode_NativePxeThenIpxe_SanbootsAnEfiSystemPartitionOverHttp_AndRunsItsBootloader()
    {
        await using var h = QemuPxeHarness.Create();
        using var data = new TempDir("e2e-uefi");
        using var work = new TempDir("e2e-uefi-image");
        var password = NewPassword();
        await using var server = await StartServerAsync(h, data.Path, password);
        using var api = await ServerApi.LogInAsync(server.HttpAddress!, password);
        var marker = $"BareMetal UEFI {Guid.NewGuid():N}";
        var disk = work.File("esp.img");
        UefiMarkerBootDisk.Write(disk, marker);
        await api.UploadImageAsync(disk, "esp", "UEFI marker disk");

        // EDK2's own PXE fetches ipxe.efi over our TFTP; iPXE then gets the wait-and-retry script.
        var mac = QemuPxeHarness.Mac;
        h.StartQemu(QemuFirmware.UefiNativePxe, QemuLimit);
        var waiting = $"BareMetal: node {mac} {BootScriptRenderer.NotAssignedMarker}";
        Assert.That(await h.WaitForSerial(waiting, FirstScriptLimit), Is.True, $"no '{waiting}' on the serial console:\n{h.SerialTail()}");
        var node = (await api.NodesAsync()).Single(n => n?["mac"]?.GetValue<string>() == mac)!;
        Assert.That(node["architecture"]?.GetValue<string>(), Does.StartWith("Efi"), node.ToJsonString());
        await api.AssignAsync(mac, "esp", "stream");

        // iPXE's UEFI sanboot exposes the HTTP disk as a block device; the firmware's FAT driver reads
        // the ESP through it and starts \EFI\BOOT\BOOTX64.EFI, which prints the marker.
        Assert.That(await h.WaitForSerial(marker, StreamLimit), Is.True, $"the ESP's marker '{marker}' never appeared:\n{h.SerialTail()}");
        Assert.That(Unwrapped(h), Does.Contain($"BareMetal: streaming {server.BaseUrl}/disk/esp.v1@525400b00701"));
        var deployment = await Eventually(async () => (await api.DeploymentsAsync(mac))[0]!,
            d => d["state"]?.GetValue<string>() == "streaming" && d["progress"]?["bytesStreamed"]?.GetValue<long>() >= 4096, ApiLimit);
        var history = deployment["history"]!.AsArray();
        Assert.Multiple(() =>
        {
            Assert.That(history.Select(s => s!["state"]!.GetValue<string>()), Is.EqualTo(new[] { "pxe", "bootloader", "streaming" }), deployment.ToJsonString());
            Assert.That(history.Select(s => s!["source"]!.GetValue<string>()), Is.EqualTo(new[] { "dhcp", "tftp", "disk" }), "UEFI reached its boot loader over TFTP");
            Assert.That((deployment["mode"]?.GetValue<string>(), deployment["image"]?.GetValue<string>()), Is.EqualTo(("stream", "esp")));
        });
        Assert.That(await api.ConsolePageAsync("/deployments"), Does.Contain("data-field=\"state\">streaming</span>"));
    }

    [Test]
    public async Task UefiNode_InDeployMode_CopiesTheEspImageOntoItsEmptyLocalDisk_ThenBootsItsBootx64Efi_AndTheDeploymentIsDone()
    {
        var clock = Stopwatch.StartNew();
        await using var h = QemuPxeHarness.Create();
        using var data = new TempDir("e2e-uefi-deploy");
        using var work = new TempDir("e2e-uefi-deploy-disks");
        var password = NewPassword();
        await using var server = await StartServerAsync(h, data.Path, password);
        using var api = await ServerApi.LogInAsync(server.HttpAddress!, password);
        var marker = $"BareMetal UEFI deployed {Guid.NewGuid():N}";
        var image = work.File("esp.img");
        const long ImageSize = 16L << 20;
        UefiMarkerBootDisk.Write(image, marker, ImageSize);
        await api.UploadImageAsync(image, "esp", "UEFI marker disk");
        var localDisk = work.File("local-disk.img");
        using (var f = File.Create(localDisk))
        {
            f.SetLength(2 * ImageSize);
        }

        var mac = QemuPxeHarness.Mac;
        await api.AddNodeAsync(mac, "EfiX64");
        await api.AssignAsync(mac, "esp", "deploy");
        // EDK2's own PXE fetches iPXE over TFTP; iPXE's script hooks the image and chains the EFI copier.
        h.StartQemu(QemuFirmware.UefiNativePxe, QemuLimit, localDisk, writeLocalDisk: true);
        var deploying = $"BareMetal: node {mac} deploys";
        Assert.That(await h.WaitForSerial(deploying, FirstScriptLimit), Is.True, $"no '{deploying}' on the serial console:\n{h.SerialTail()}");
        Assert.That(await h.WaitForSerial("BareMetal deploy: copy complete", CopyLimit), Is.True, $"the UEFI copier did not finish:\n{h.SerialTail()}");
        // The marker comes from the LOCAL disk: the copier in boot mode started its \EFI\BOOT\BOOTX64.EFI.
        Assert.That(await h.WaitForSerial(marker, StreamLimit), Is.True, $"the copied disk's marker never appeared:\n{h.SerialTail()}");
        var serial = Unwrapped(h);
        Assert.That(serial, Does.Contain($"BareMetal: node {mac} is deployed; booting its local disk").And.Contain("BareMetal deploy: booting the local disk"));
        Assert.That(serial, Does.Contain($"BareMetal deploy: image {ImageSize / 512} blocks, local disk {2 * ImageSize / 512} blocks of 512 bytes"));

        var deployment = await Eventually(async () => (await api.DeploymentsAsync(mac))[0]!, d => d["state"]?.GetValue<string>() == "done", ApiLimit);
        Assert.Multiple(() =>
        {
            Assert.That(deployment["history"]!.AsArray().Select(s => s!["state"]!.GetValue<string>()), Is.EqualTo(new[] { "pxe", "bootloader", "copying", "done" }), deployment.ToJsonString());
            Assert.That(deployment["progress"]!["copyPercent"]!.GetValue<double>(), Is.EqualTo(100));
        });
        await h.PowerOffAsync();
        var expected = await File.ReadAllBytesAsync(image);
        var copied = new byte[expected.Length];
        await using (var f = File.OpenRead(localDisk))
        {
            await f.ReadExactlyAsync(copied);
        }
        Assert.That(copied.AsSpan().SequenceEqual(expected), Is.True, "the local disk's first 16 MiB are not the image");
        TestContext.Out.WriteLine($"UEFI deploy end to end: {clock.Elapsed.TotalSeconds:F1} s");
    }

    [Test]
    public async Task UefiNode_InDeployMode_WithALocalDiskSmallerThanTheImage_CopiesNothing_AndTheDeploymentFails()
    {
        await using var h = QemuPxeHarness.Create();
        using var data = new TempDir("e2e-uefi-deploy-small");
        using var work = new TempDir("e2e-uefi-deploy-small-disks");
        var password = NewPassword();
        await using var server = await StartServerAsync(h, data.Path, password);
        using var api = await ServerApi.LogInAsync(server.HttpAddress!, password);
        const long ImageSize = 16L << 20;
        var image = work.File("esp.img");
        UefiMarkerBootDisk.Write(image, "BareMetal never booted", ImageSize);
        await api.UploadImageAsync(image, "esp", "UEFI marker disk");
        var localDisk = work.File("small-disk.img");
        using (var f = File.Create(localDisk))
        {
            f.SetLength(ImageSize / 2);
        }
        var mac = QemuPxeHarness.Mac;
        await api.AddNodeAsync(mac, "EfiX64");
        await api.AssignAsync(mac, "esp", "deploy");
        h.StartQemu(QemuFirmware.UefiNativePxe, QemuLimit, localDisk, writeLocalDisk: true);

        // The EFI copier refuses before writing a block, says why, returns an error, and the script reports it.
        Assert.That(await h.WaitForSerial("the local disk is smaller than the image", FirstScriptLimit + CopyLimit), Is.True, $"no refusal on the serial console:\n{h.SerialTail()}");
        Assert.That(await h.WaitForSerial("deploy failed: the copier failed", StreamLimit), Is.True, $"the script did not report the failure:\n{h.SerialTail()}");
        var deployment = await Eventually(async () => (await api.DeploymentsAsync(mac))[0]!, d => d["state"]?.GetValue<string>() == "failed", ApiLimit);
        Assert.That(deployment["error"]?.GetValue<string>(), Does.StartWith("the copier failed"), deployment.ToJsonString());
        Assert.That(Unwrapped(h), Does.Contain($"BareMetal deploy: image {ImageSize / 512} blocks, local disk {ImageSize / 1024} blocks of 512 bytes"));
        await h.PowerOffAsync();
        Assert.That(File.ReadAllBytes(localDisk).All(b => b == 0), Is.True, "the refused copy wrote nothing");
    }

    /// <summary>The node or deployment objects of the feed's events named <paramref name="name"/> for <paramref name="mac"/>, in order.</summary>
    private static List<JsonNode> Events(ChangeFeed feed, string name, string mac)
    {
        var member = name == "node" ? "node" : "deployment";
        return [.. feed.Events.Where(e => e.Event == name && e.Data["mac"]?.GetValue<string>() == mac).Select(e => e.Data[member]!)];
    }

    /// <summary>The serial console without line breaks: iPXE wraps long lines at 80 columns.</summary>
    internal static string Unwrapped(QemuPxeHarness h) => File.ReadAllText(h.SerialLog).Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);

    internal static string NewPassword() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));

    /// <summary>The whole server on the harness's boot network: full DHCP on its interface, TFTP on 69, HTTP on 8080, iSCSI on 3260 when asked; no NBD.</summary>
    internal static async Task<BareMetalServer> StartServerAsync(QemuPxeHarness h, string dataDirectory, string password, bool iscsi = false)
    {
        var host = IPAddress.Parse(h.HostAddress);
        var server = new BareMetalServer(new ServeOptions
        {
            DataDirectory = dataDirectory,
            Http = new IPEndPoint(host, 8080),
            // Firmware asks TFTP on port 69 of the server DHCP names.
            Tftp = new IPEndPoint(host, 69),
            Nbd = null,
            Iscsi = iscsi ? new IPEndPoint(host, 3260) : null,
            Dhcp = DhcpMode.Full,
            DhcpInterface = h.HostInterface,
            DhcpRange = (IPAddress.Parse($"10.213.{h.Subnet}.100"), IPAddress.Parse($"10.213.{h.Subnet}.120")),
            AdminPassword = password,
            LogToConsole = false,
        });
        try
        {
            await server.StartAsync(CancellationToken.None);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    private static DateTimeOffset TruncateToMs(DateTimeOffset t) => DateTimeOffset.FromUnixTimeMilliseconds(t.ToUnixTimeMilliseconds());

    /// <summary>Asks until the answer satisfies <paramref name="done"/>; fails with the last answer after <paramref name="limit"/>.</summary>
    internal static async Task<T> Eventually<T>(Func<Task<T>> ask, Func<T, bool> done, TimeSpan limit)
        where T : JsonNode
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            var answer = await ask();
            if (done(answer))
            {
                return answer;
            }
            if (watch.Elapsed > limit)
            {
                Assert.Fail($"not reached within {limit.TotalSeconds} s; last answer: {answer.ToJsonString()}");
            }
            await Task.Delay(250);
        }
    }
}

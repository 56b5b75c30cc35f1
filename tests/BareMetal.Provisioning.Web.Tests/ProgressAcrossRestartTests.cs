using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Web.Hosting;
using BareMetal.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// The block service's counters live in the server process, a deployment's progress in the database:
/// after a restart (kill -9 included) the progress carries on instead of dropping back to zero.
/// Found by tests/BareMetal.Interop.Tests/Faults.
/// </summary>
public class ProgressAcrossRestartTests
{
    private const string Mac = "52:54:00:aa:bb:07";

    private const string Export = "tiny.v1@525400aabb07";

    [Test]
    public async Task Progress_AfterAServerRestart_CarriesOnFromWhatTheDeploymentHad_AndANewBootStartsFromZero()
    {
        using var dir = new TempDir("bm-pump");
        long deploymentId;
        await using (var db = await OpenAsync(dir))
        {
            await db.Catalog.ImportStreamAsync(new MemoryStream(new byte[1 << 20]), 1 << 20, new ImageImportRequest("tiny"));
            await db.Nodes.AddAsync(new NewNode(Mac));
            await db.Nodes.AssignAsync(Mac, new NodeAssignment("tiny", null, NodeMode.Stream));
            deploymentId = (await db.Deployments.RecordAsync(Mac, new DeploymentEvent(DeploymentEventKind.BootScriptFetched))).Deployment!.Id;
            using var exports = await ExportsAsync(dir, db);
            await using var pump = new ProgressPump(exports, db.Deployments, NullLogger.Instance);
            NodeReads(exports, 0, 4096, 1);

            Assert.That(await pump.PumpAsync(CancellationToken.None), Is.EqualTo(1));
            Assert.That(await ProgressAsync(db), Is.EqualTo((deploymentId, 4096L, 1L)));
        }

        // The server comes back (a new process: every export counter starts at zero) and the node reads on.
        await using (var db = await OpenAsync(dir))
        {
            using var exports = await ExportsAsync(dir, db);
            await using var pump = new ProgressPump(exports, db.Deployments, NullLogger.Instance);
            NodeReads(exports, Block, 8192, 2);

            Assert.That(await pump.PumpAsync(CancellationToken.None), Is.EqualTo(1));
            Assert.That(await ProgressAsync(db), Is.EqualTo((deploymentId, 4096L + 8192, 2L)), "not back to 8192 bytes and 1 block");

            // The node reboots: a new deployment, whose figures count from zero again.
            var reboot = await db.Deployments.RecordAsync(Mac, new DeploymentEvent(DeploymentEventKind.NodeReport, DeploymentState.Pxe));
            await db.Deployments.RecordAsync(Mac, new DeploymentEvent(DeploymentEventKind.BootScriptFetched));
            NodeReads(exports, 2 * Block, 512, 1);

            Assert.That(await pump.PumpAsync(CancellationToken.None), Is.EqualTo(1));
            Assert.That(await ProgressAsync(db), Is.EqualTo((reboot.Deployment!.Id, 512L, 1L)));
            Assert.That(reboot.Deployment.Id, Is.Not.EqualTo(deploymentId));
        }
    }

    private static Task<ProvisioningDatabase> OpenAsync(TempDir dir) =>
        ProvisioningDatabase.OpenAsync(dir.Path, null, new ProvisioningOptions { PasswordIterations = 1000 });

    private static async Task<CatalogExportProvider> ExportsAsync(TempDir dir, ProvisioningDatabase db)
    {
        var exports = new CatalogExportProvider(Path.Combine(dir.Path, "overlays"), Path.Combine(dir.Path, "images"));
        exports.Refresh(await db.Catalog.ListAsync(), db.Catalog.GetFullPath);
        return exports;
    }

    /// <summary>One block of the counters (a 64 KiB region).</summary>
    private const long Block = 64 * 1024;

    /// <summary>What the block service records when the node reads <paramref name="bytes"/> at <paramref name="offset"/> through its export.</summary>
    private static void NodeReads(CatalogExportProvider exports, long offset, long bytes, int requests)
    {
        var export = exports.Find(Export)!;
        for (var i = 0; i < requests; i++)
        {
            export.Counters.Request(null);
            export.Counters.Read(null, offset + (i * bytes / requests), bytes / requests);
        }
    }

    private static async Task<(long Id, long Bytes, long Blocks)> ProgressAsync(ProvisioningDatabase db)
    {
        var d = (await db.Deployments.GetCurrentAsync(Mac))!;
        return (d.Id, d.BytesStreamed, d.BlocksFetched);
    }
}

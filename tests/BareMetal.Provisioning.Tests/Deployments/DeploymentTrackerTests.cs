using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Tests.Support;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests.Deployments;

public class DeploymentTrackerTests(StoreBackend backend) : StoreTestBase(backend)
{
    private const string Mac = "52:54:00:12:34:56";

    [SetUp]
    public async Task AddNode()
    {
        await Db.Catalog.ImportFileAsync(RawFile("img", 4096), new ImageImportRequest("img"));
        await Db.Nodes.AddAsync(new NewNode(Mac));
        await Db.Nodes.AssignAsync(Mac, new NodeAssignment("img", null, NodeMode.Stream));
    }

    private async Task<RecordResult> At(int seconds, DeploymentEvent e)
    {
        Time.Advance(TimeSpan.FromSeconds(seconds));
        return await Db.Deployments.RecordAsync(Mac, e);
    }

    [Test]
    public async Task AFullBoot_GoesThroughEveryState_WithTimestampsAndProgress()
    {
        var start = Time.GetUtcNow();
        await At(0, new(DeploymentEventKind.DhcpContact));
        await At(1, new(DeploymentEventKind.TftpTransfer, Message: "undionly.kpxe"));
        Assert.That((await At(1, new(DeploymentEventKind.DhcpContact))).Action, Is.EqualTo(TransitionAction.Stay), "iPXE's own DHCP is the same boot");
        await At(1, new(DeploymentEventKind.BootScriptFetched));
        await At(1, new(DeploymentEventKind.DiskRead, BytesStreamed: 4096, BlocksFetched: 1));
        await At(1, new(DeploymentEventKind.DiskRead, BytesStreamed: 1 << 20, BlocksFetched: 40, OverlayBytes: 65536));
        await At(10, new(DeploymentEventKind.NodeReport, DeploymentState.OsUp));
        await At(1, new(DeploymentEventKind.NodeReport, DeploymentState.Copying, CopyPercent: 50));
        var done = await At(30, new(DeploymentEventKind.NodeReport, DeploymentState.Done, CopyPercent: 100));

        var d = done.Deployment!;
        Assert.Multiple(() =>
        {
            Assert.That(d.State, Is.EqualTo(DeploymentState.Done));
            Assert.That(d.History.Select(h => h.To), Is.EqualTo(new[]
            {
                DeploymentState.Pxe, DeploymentState.Bootloader, DeploymentState.Streaming, DeploymentState.OsUp, DeploymentState.Copying, DeploymentState.Done,
            }));
            Assert.That(d.History.Select(h => (h.At - start).TotalSeconds), Is.EqualTo(new[] { 0.0, 1, 4, 15, 16, 46 }));
            Assert.That(d.History[1].Message, Is.EqualTo("undionly.kpxe"));
            Assert.That((d.BytesStreamed, d.BlocksFetched, d.OverlayBytes, d.CopyPercent), Is.EqualTo((1L << 20, 40L, 65536L, 100.0)));
            Assert.That((d.Mode, d.ImageName), Is.EqualTo((NodeMode.Stream, "img")));
            Assert.That(d.EndedAt, Is.EqualTo(start.AddSeconds(46)));
        });
    }

    [Test]
    public async Task ClaimedStatesThatCannotFollow_AreRejected_AndNetworkNoiseIsIgnored()
    {
        var e = Assert.ThrowsAsync<InvalidTransitionException>(() => At(0, new(DeploymentEventKind.NodeReport, DeploymentState.OsUp)));
        Assert.That(e!.Message, Is.EqualTo($"node {Mac}: cannot go from no deployment to OsUp"));
        Assert.That((await At(0, new(DeploymentEventKind.DiskRead, BytesStreamed: 5))).Action, Is.EqualTo(TransitionAction.Ignore));
        await At(0, new(DeploymentEventKind.DhcpContact));
        Assert.ThrowsAsync<InvalidTransitionException>(() => At(0, new(DeploymentEventKind.NodeReport, DeploymentState.Done)));
        Assert.ThrowsAsync<InvalidTransitionException>(() => At(0, new(DeploymentEventKind.Manual, DeploymentState.Copying)));
        Assert.That((await At(0, new(DeploymentEventKind.DhcpContact, IsBootFirmware: false))).Action, Is.EqualTo(TransitionAction.Ignore));
        Assert.That((await At(0, new(DeploymentEventKind.DiskRead, BytesStreamed: 5))).Action, Is.EqualTo(TransitionAction.Ignore));
        var failed = await At(0, new(DeploymentEventKind.NodeReport, DeploymentState.Failed, "disk\u0007 not found"));
        Assert.Multiple(() =>
        {
            Assert.That(failed.Deployment!.State, Is.EqualTo(DeploymentState.Failed));
            Assert.That(failed.Deployment.Error, Is.EqualTo("disk  not found"));
        });
        Assert.ThrowsAsync<InvalidTransitionException>(() => At(0, new(DeploymentEventKind.NodeReport, DeploymentState.OsUp)));
    }

    [Test]
    public async Task BadEventFields_AreRefused_AndUnknownNodesAreNotFound()
    {
        await At(0, new(DeploymentEventKind.DhcpContact));
        foreach (var bad in new DeploymentEvent[]
                 {
                     new(DeploymentEventKind.DiskRead, BytesStreamed: -1),
                     new(DeploymentEventKind.NodeReport, CopyPercent: 101),
                     new(DeploymentEventKind.NodeReport, CopyPercent: double.NaN),
                     new((DeploymentEventKind)99),
                     new(DeploymentEventKind.NodeReport, (DeploymentState)99),
                 })
        {
            var e = Assert.ThrowsAsync<CatalogException>(() => At(0, bad), bad.ToString());
            Assert.That(e!.Kind, Is.EqualTo(CatalogErrorKind.Invalid));
        }
        Assert.ThrowsAsync<NodeNotFoundException>(() => Db.Deployments.RecordAsync("52:54:00:00:00:99", new(DeploymentEventKind.DhcpContact)));
        var long_ = await At(0, new(DeploymentEventKind.TftpTransfer, Message: new string('m', 5000)));
        Assert.That(long_.Deployment!.History[^1].Message, Has.Length.EqualTo(DeploymentEvent.MaxMessageLength));
    }

    [Test]
    public async Task ARebootAfterTheOsCameUp_StartsANewDeployment_AndHistorySurvivesARestart()
    {
        await At(0, new(DeploymentEventKind.DhcpContact));
        await At(1, new(DeploymentEventKind.BootScriptFetched));
        await At(1, new(DeploymentEventKind.DiskRead, BytesStreamed: 100));
        await At(1, new(DeploymentEventKind.NodeReport, DeploymentState.OsUp));
        var second = await At(60, new(DeploymentEventKind.DhcpContact));
        Assert.That(second.Action, Is.EqualTo(TransitionAction.Start));
        await ReopenAsync();
        var history = await Db.Deployments.GetHistoryAsync(Mac);
        Assert.Multiple(async () =>
        {
            Assert.That(history, Has.Count.EqualTo(2));
            Assert.That(history[0].State, Is.EqualTo(DeploymentState.Pxe));
            Assert.That(history[0].BytesStreamed, Is.Zero);
            Assert.That(history[1].State, Is.EqualTo(DeploymentState.OsUp));
            Assert.That(history[1].Error, Is.EqualTo("superseded by a new boot"));
            Assert.That(history[1].EndedAt, Is.Not.Null);
            Assert.That((await Db.Deployments.ListCurrentAsync()).Single().Id, Is.EqualTo(history[0].Id));
        });
    }

    [Test]
    public async Task RepeatedScriptFetches_WhileWaiting_WriteNothingNew()
    {
        await At(0, new(DeploymentEventKind.BootScriptFetched));
        var before = await Db.Deployments.GetCurrentAsync(Mac);
        for (var i = 0; i < 3; i++)
        {
            Assert.That((await At(10, new(DeploymentEventKind.BootScriptFetched))).Action, Is.EqualTo(TransitionAction.Stay));
        }
        var after = await Db.Deployments.GetCurrentAsync(Mac);
        Assert.That((after!.UpdatedAt, after.History.Count), Is.EqualTo((before!.UpdatedAt, 1)));
    }

    [Test]
    public async Task AnAssignmentMadeWhileTheNodeWaits_ShowsOnItsDeployment_FromItsNextScriptFetch()
    {
        await Db.Nodes.UnassignAsync(Mac);
        await At(0, new(DeploymentEventKind.DhcpContact));
        await At(1, new(DeploymentEventKind.BootScriptFetched));
        await Db.Nodes.AssignAsync(Mac, new NodeAssignment("img", 1, NodeMode.Stream));
        var beforeFetch = await Db.Deployments.GetCurrentAsync(Mac);
        Assert.That((beforeFetch!.Mode, beforeFetch.ImageName), Is.EqualTo((NodeMode.None, (string?)null)), "assigning alone does not rewrite a boot in progress");

        // The wait-and-retry script asks again in the same boot (no DHCP) and gets `sanboot` this time.
        var fetched = await At(10, new(DeploymentEventKind.BootScriptFetched));
        var d = fetched.Deployment!;
        Assert.Multiple(() =>
        {
            Assert.That(fetched.Action, Is.EqualTo(TransitionAction.Stay));
            Assert.That(d.Id, Is.EqualTo(beforeFetch.Id), "same boot, same deployment");
            Assert.That((d.Mode, d.ImageName, d.ImageVersion), Is.EqualTo((NodeMode.Stream, "img", (int?)1)));
            Assert.That(d.UpdatedAt, Is.EqualTo(Time.GetUtcNow()));
            Assert.That(d.History.Select(h => h.To), Is.EqualTo(new[] { DeploymentState.Pxe, DeploymentState.Bootloader }));
        });

        // Re-assigning while it streams changes what its next boot gets, not what this one records.
        await At(1, new(DeploymentEventKind.DiskRead, BytesStreamed: 512, BlocksFetched: 1));
        await Db.Nodes.AssignAsync(Mac, new NodeAssignment("img", null, NodeMode.Local));
        var streaming = await At(1, new(DeploymentEventKind.DiskRead, BytesStreamed: 4096, BlocksFetched: 2));
        Assert.That((streaming.Deployment!.State, streaming.Deployment.Mode, streaming.Deployment.ImageVersion),
            Is.EqualTo((DeploymentState.Streaming, NodeMode.Stream, (int?)1)));
    }
}

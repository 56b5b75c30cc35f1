using BareMetal.Provisioning.Core.Audit;
using BareMetal.Provisioning.Tests.Support;
using BareMetal.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.Provisioning.Tests.Security;

public class AuditTrailTests(StoreBackend backend) : StoreTestBase(backend)
{
    [Test]
    public async Task Records_AreWrittenWithWhoWhereWhatAndHow_NewestFirst()
    {
        await using var trail = new AuditTrail(Db.Audit, Time, NullLogger.Instance);
        trail.Record("admin (cookie)", "10.0.0.5", "PUT /api/v1/nodes/{mac}/assignment", "/api/v1/nodes/52:54:00:00:00:01/assignment", AuditOutcome.Allowed, "HTTP 200");
        Time.Advance(TimeSpan.FromSeconds(1));
        trail.Record("52:54:00:00:00:01", "10.0.0.21", "export.open.nbd", "debian.v1@525400000001", AuditOutcome.Allowed);
        await trail.FlushAsync();
        var entries = await Db.Audit.ListAsync();
        Assert.That(entries.Select(e => e.Record.Action), Is.EqualTo(new[] { "export.open.nbd", "PUT /api/v1/nodes/{mac}/assignment" }));
        Assert.That(entries[1].Record, Is.EqualTo(new AuditRecord(Time.GetUtcNow() - TimeSpan.FromSeconds(1), "admin (cookie)", "10.0.0.5",
            "PUT /api/v1/nodes/{mac}/assignment", "/api/v1/nodes/52:54:00:00:00:01/assignment", AuditOutcome.Allowed, "HTTP 200")));
        Assert.That((await Db.Audit.ListAsync(limit: 1, beforeId: entries[0].Id)).Single().Id, Is.EqualTo(entries[1].Id));
        Assert.That(await Db.Audit.ListAsync(action: "export.open.nbd"), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task TenThousandRefusals_FromOneSource_AreAFewRowsAndASummary()
    {
        await using var trail = new AuditTrail(Db.Audit, Time, NullLogger.Instance);
        for (var i = 0; i < 10_000; i++)
        {
            trail.Record("?", "10.0.0.66", "export.open.nbd", $"img@5254000{i:x5}", AuditOutcome.Refused, "no node registered");
        }
        trail.Record("?", "10.0.0.67", "export.open.nbd", "img@x", AuditOutcome.Refused, "another source counts apart");
        await trail.FlushAsync();
        Assert.That(await Db.Audit.ListAsync(limit: 1000, outcome: AuditOutcome.Refused), Has.Count.EqualTo(AuditTrail.MaxRefusalsPerWindow + 1));

        Time.Advance(AuditTrail.Window);
        await trail.FlushAsync();
        var summary = (await Db.Audit.ListAsync(limit: 1)).Single().Record;
        Assert.That(summary.Detail, Does.StartWith($"{10_000 - AuditTrail.MaxRefusalsPerWindow} more refusals of export.open.nbd from 10.0.0.66"));
        Assert.That(trail.Dropped, Is.Zero);
    }

    [Test]
    public async Task LongFields_AreCut_AndBadPagesAreRefused()
    {
        await using var trail = new AuditTrail(Db.Audit, Time, NullLogger.Instance);
        trail.Record(new string('a', 5000), null, "x", new string('t', 5000), AuditOutcome.Failed, new string('d', 5000));
        await trail.FlushAsync();
        var e = (await Db.Audit.ListAsync()).Single().Record;
        Assert.That(e.Actor.Length, Is.LessThanOrEqualTo(AuditStore.MaxFieldLength + 1));
        Assert.That(e.Target!.Length, Is.LessThanOrEqualTo(AuditStore.MaxFieldLength + 1));
        Assert.ThrowsAsync<BareMetal.ImageStore.Catalog.CatalogException>(async () => await Db.Audit.ListAsync(limit: 0));
    }
}

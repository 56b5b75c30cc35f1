using BareMetal.Provisioning.Core.Audit;

namespace BareMetal.Provisioning.Tests.Security;

/// <summary>
/// audit_log.outcome stores these values. If this fails, a value was renumbered: put it back and add a
/// new member instead, or old rows change meaning.
/// </summary>
public class AuditOutcomeStabilityTests
{
    [Test]
    public void AuditOutcome_KeepsItsPersistedValues() =>
        Assert.That(Enum.GetValues<AuditOutcome>().Select(v => (v.ToString(), (int)v)),
            Is.EqualTo(new[] { ("Allowed", 0), ("Refused", 1), ("Failed", 2) }));
}

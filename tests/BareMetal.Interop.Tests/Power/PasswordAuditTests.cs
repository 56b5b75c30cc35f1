using BareMetal.Provisioning.Power;
using BareMetal.Provisioning.Power.Ipmi;
using BareMetal.Provisioning.Power.Orchestration;
using BareMetal.Provisioning.Power.Redfish;
using BareMetal.TestSupport.Bmc;

namespace BareMetal.Interop.Tests.Power;

/// <summary>
/// The passwords used in these tests appear in no log line and no error message: every driver here logs
/// through <see cref="PasswordAudit.Logger"/> at Debug, every fixture checks in its teardown, and this
/// test makes failing and succeeding calls through the orchestrator and greps all of it.
/// </summary>
[NonParallelizable]
public class PasswordAuditTests
{
    [Test]
    public void Audit_FindsAPasswordWhereThereIsOne() =>
        Assert.That(PasswordAudit.Leak($"login failed for {IpmiSim.Password}!"), Is.EqualTo(IpmiSim.Password));

    [Test]
    public async Task WrongAndRightPasswords_ThroughEveryDriverAndTheOrchestrator_LeaveNoPasswordInLogsOrErrors()
    {
        var before = PasswordAudit.Count;
        var orchestrator = new PowerOrchestrator(new PowerOrchestratorOptions { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(10) }, logger: PasswordAudit.Logger);
        using var sim = new IpmiSim();
        await using var bmc = await RedfishTestBmc.StartAsync("root", PasswordAudit.RedfishPassword);
        IPowerDriver[] drivers =
        [
            new IpmiPowerDriver(new IpmiBmcOptions { Host = "127.0.0.1", Port = sim.Port, Credentials = new BmcCredentials(IpmiSim.User, IpmiSim.Password) }, PasswordAudit.Logger),
            new IpmiPowerDriver(new IpmiBmcOptions { Host = "127.0.0.1", Port = sim.Port, Credentials = new BmcCredentials(IpmiSim.User, PasswordAudit.WrongPassword) }, PasswordAudit.Logger),
            new RedfishPowerDriver(new RedfishBmcOptions { BaseUri = bmc.BaseUri, Credentials = new BmcCredentials("root", PasswordAudit.RedfishPassword), Tls = RedfishTlsMode.Insecure }, PasswordAudit.Logger),
            new RedfishPowerDriver(new RedfishBmcOptions { BaseUri = bmc.BaseUri, Credentials = new BmcCredentials("root", PasswordAudit.WrongPassword), Tls = RedfishTlsMode.Insecure }, PasswordAudit.Logger),
            new RedfishPowerDriver(new RedfishBmcOptions { BaseUri = bmc.BaseUri, Credentials = new BmcCredentials("root", PasswordAudit.WrongPassword), Tls = RedfishTlsMode.Insecure, Auth = RedfishAuth.Basic }, PasswordAudit.Logger),
            new RedfishPowerDriver(new RedfishBmcOptions { BaseUri = bmc.BaseUri, Credentials = new BmcCredentials("root", PasswordAudit.RedfishPassword), Tls = RedfishTlsMode.SystemTrust }, PasswordAudit.Logger),
        ];
        var outcomes = new List<PowerOutcome>();
        foreach (var (driver, i) in drivers.Select((d, i) => (d, i)))
        {
            foreach (var action in new[] { PowerAction.On, PowerAction.BootNetworkOnce, PowerAction.Cycle, PowerAction.Status })
            {
                outcomes.Add(await orchestrator.RunAsync(new PowerTarget($"node{i}", driver), action, CancellationToken.None));
            }
            await driver.DisposeAsync();
        }
        foreach (var o in outcomes)
        {
            PasswordAudit.Record($"{o}");
        }
        Assert.That(outcomes.Count(o => o.Succeeded), Is.EqualTo(8), "the two right passwords worked");
        Assert.That(outcomes.Where(o => !o.Succeeded).Select(o => o.Failure).Distinct(), Is.EquivalentTo(new PowerFailure?[] { PowerFailure.AuthenticationFailed, PowerFailure.CertificateRejected }));
        Assert.That(PasswordAudit.Count - before, Is.GreaterThan(40), "the audit saw the log lines it checks");
        PasswordAudit.AssertClean();
    }
}

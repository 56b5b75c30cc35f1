using System.Diagnostics;
using BareMetal.Provisioning.Power;
using BareMetal.Provisioning.Power.Orchestration;
using BareMetal.Provisioning.Power.Redfish;
using BareMetal.TestSupport.Bmc;

namespace BareMetal.Interop.Tests.Power;

/// <summary>Our Redfish driver against the test BMC (TestSupport/Bmc) over real HTTPS on loopback.</summary>
public class RedfishInteropTests
{
    private const string User = "root";

    [TearDown]
    public void NoPasswordInAnyText() => PasswordAudit.AssertClean();

    private static RedfishPowerDriver Driver(RedfishTestBmc bmc, RedfishTlsMode tls = RedfishTlsMode.Pinned, string password = PasswordAudit.RedfishPassword,
        RedfishAuth auth = RedfishAuth.Session, string? systemId = null, TimeSpan? timeout = null, string? pin = null) =>
        new(new RedfishBmcOptions
        {
            BaseUri = bmc.BaseUri,
            Credentials = new BmcCredentials(User, password),
            Auth = auth,
            Tls = tls,
            PinnedSha256 = tls == RedfishTlsMode.Pinned ? pin ?? bmc.CertificateSha256 : null,
            SystemId = systemId,
            RequestTimeout = timeout ?? TimeSpan.FromSeconds(30),
        }, PasswordAudit.Logger);

    [TestCase(RedfishAuth.Session)]
    [TestCase(RedfishAuth.Basic)]
    public async Task PowerAndBootOverrideCycle_DrivesTheSystem(RedfishAuth auth)
    {
        await using var bmc = await RedfishTestBmc.StartAsync(User, PasswordAudit.RedfishPassword);
        var system = bmc.Systems["1"];
        var ct = CancellationToken.None;
        await using (var driver = Driver(bmc, auth: auth))
        {
            Assert.That(await driver.GetPowerStateAsync(ct), Is.EqualTo(PowerState.Off));
            await driver.PowerOnAsync(ct);
            Assert.That(system.PowerState, Is.EqualTo("On"));
            Assert.That(await driver.GetPowerStateAsync(ct), Is.EqualTo(PowerState.On));

            // Deploy: next boot from the network once, then cycle; the override is used up by the boot.
            var etagBefore = system.ETag;
            await driver.SetNextBootAsync(BootDevice.Network, persistent: false, ct);
            Assert.That((system.BootSourceOverrideTarget, system.BootSourceOverrideEnabled), Is.EqualTo(("Pxe", "Once")));
            Assert.That(system.ETag, Is.Not.EqualTo(etagBefore));
            await driver.CycleAsync(ct);
            Assert.That(system.Resets[^1], Is.EqualTo("PowerCycle"));
            Assert.That(system.BootSourceOverrideEnabled, Is.EqualTo("Disabled"), "the one-time override was consumed");

            // Release: boot from disk for good, soft off, then hard off.
            await driver.SetNextBootAsync(BootDevice.Disk, persistent: true, ct);
            Assert.That(await driver.GetBootOverrideAsync(ct), Is.EqualTo(("Hdd", "Continuous")));
            await driver.SoftOffAsync(ct);
            Assert.That(system.Resets[^1], Is.EqualTo("GracefulShutdown"));
            Assert.That(await driver.GetPowerStateAsync(ct), Is.EqualTo(PowerState.Off));
            await driver.PowerOnAsync(ct);
            await driver.PowerOffAsync(ct);
            Assert.That(system.Resets, Is.EqualTo(new[] { "On", "PowerCycle", "GracefulShutdown", "On", "ForceOff" }));
        }
        if (auth == RedfishAuth.Session)
        {
            Assert.That(bmc.SessionsCreated, Is.EqualTo(1), "one login for all calls");
            Assert.That(bmc.SessionsOpen, Is.Zero, "logged out on dispose");
        }
        else
        {
            Assert.That(bmc.SessionsCreated, Is.Zero);
            Assert.That(bmc.BasicAuthRequests, Is.GreaterThan(0));
        }
    }

    [Test]
    public async Task Cycle_WhenPowerCycleIsNotAllowed_UsesForceRestart_AndADisallowedResetIsUnsupported()
    {
        await using var bmc = await RedfishTestBmc.StartAsync(User, PasswordAudit.RedfishPassword);
        bmc.AllowedResetTypes = ["On", "ForceOff", "ForceRestart"];
        await using var driver = Driver(bmc);
        await driver.PowerOnAsync(CancellationToken.None);
        await driver.CycleAsync(CancellationToken.None);
        Assert.That(bmc.Systems["1"].Resets, Is.EqualTo(new[] { "On", "ForceRestart" }));
        var e = Assert.ThrowsAsync<PowerException>(() => driver.SoftOffAsync(CancellationToken.None))!;
        Assert.That(e.Failure, Is.EqualTo(PowerFailure.Unsupported));
        Assert.That(e.Message, Does.Contain("GracefulShutdown").And.Contain("ForceRestart"));
        PasswordAudit.Record(e.Message);
    }

    [Test]
    public async Task BootOverride_WithAStaleETag_IsReadAgainAndSent_WithTheFreshIfMatch()
    {
        await using var bmc = await RedfishTestBmc.StartAsync(User, PasswordAudit.RedfishPassword);
        await using var driver = Driver(bmc);
        bmc.ChangeBeforeNextPatch = true;
        await driver.SetNextBootAsync(BootDevice.Network, persistent: true, CancellationToken.None);
        Assert.That(bmc.PreconditionFailures, Is.EqualTo(1), "the first PATCH carried the ETag that had gone stale");
        Assert.That((bmc.Systems["1"].BootSourceOverrideTarget, bmc.Systems["1"].BootSourceOverrideEnabled), Is.EqualTo(("Pxe", "Continuous")));
    }

    [Test]
    public async Task SelfSignedCertificate_IsRefusedUnderSystemTrust_AcceptedPinnedOrInsecure_AndAWrongPinIsRefused()
    {
        await using var bmc = await RedfishTestBmc.StartAsync(User, PasswordAudit.RedfishPassword);
        await using (var trusting = Driver(bmc, RedfishTlsMode.SystemTrust))
        {
            var e = Assert.ThrowsAsync<PowerException>(() => trusting.GetPowerStateAsync(CancellationToken.None))!;
            Assert.That(e.Failure, Is.EqualTo(PowerFailure.CertificateRejected));
            Assert.That(e.Message, Does.Contain(bmc.CertificateSha256), "the refusal names the fingerprint to pin");
            PasswordAudit.Record(e.Message);
        }
        await using (var wrongPin = Driver(bmc, RedfishTlsMode.Pinned, pin: new string('A', 64)))
        {
            var e = Assert.ThrowsAsync<PowerException>(() => wrongPin.GetPowerStateAsync(CancellationToken.None))!;
            Assert.That(e.Failure, Is.EqualTo(PowerFailure.CertificateRejected));
            Assert.That(e.Message, Does.Contain("not the pinned"));
            PasswordAudit.Record(e.Message);
        }
        await using (var pinned = Driver(bmc, RedfishTlsMode.Pinned))
        {
            Assert.That(await pinned.GetPowerStateAsync(CancellationToken.None), Is.EqualTo(PowerState.Off));
        }
        await using (var insecure = Driver(bmc, RedfishTlsMode.Insecure))
        {
            Assert.That(await insecure.GetPowerStateAsync(CancellationToken.None), Is.EqualTo(PowerState.Off));
        }
    }

    [TestCase(RedfishAuth.Session)]
    [TestCase(RedfishAuth.Basic)]
    public async Task WrongPassword_IsAuthenticationFailed_WithTheBmcsMessage(RedfishAuth auth)
    {
        await using var bmc = await RedfishTestBmc.StartAsync(User, PasswordAudit.RedfishPassword);
        await using var driver = Driver(bmc, password: PasswordAudit.WrongPassword, auth: auth);
        var e = Assert.ThrowsAsync<PowerException>(() => driver.PowerOnAsync(CancellationToken.None))!;
        Assert.That(e.Failure, Is.EqualTo(PowerFailure.AuthenticationFailed));
        Assert.That(e.Message, Does.Contain("HTTP 401"));
        Assert.That(e.Message, Does.Contain(auth == RedfishAuth.Session ? "authorization error" : "There is no valid session"));
        Assert.That(bmc.Systems["1"].Resets, Is.Empty);
        TestContext.Out.WriteLine(e.Message);
        PasswordAudit.Record(e.Message);
    }

    [Test]
    public async Task BmcThatHangs_IsUnreachable_WithinTheRequestTimeout()
    {
        await using var bmc = await RedfishTestBmc.StartAsync(User, PasswordAudit.RedfishPassword);
        bmc.Hang = true;
        await using var driver = Driver(bmc, timeout: TimeSpan.FromSeconds(1));
        var watch = Stopwatch.StartNew();
        var e = Assert.ThrowsAsync<PowerException>(() => driver.GetPowerStateAsync(CancellationToken.None))!;
        Assert.That(e.Failure, Is.EqualTo(PowerFailure.Unreachable));
        Assert.That(e.Message, Does.Contain("did not answer"));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        PasswordAudit.Record(e.Message);
        bmc.Hang = false;
    }

    [Test]
    public async Task BusyBmc_503_IsRetriedWithBackoff_ByTheOrchestrator_ButAWrongPasswordIsNot()
    {
        await using var bmc = await RedfishTestBmc.StartAsync(User, PasswordAudit.RedfishPassword);
        var orchestrator = new PowerOrchestrator(new PowerOrchestratorOptions { InitialBackoff = TimeSpan.FromMilliseconds(50), MaxAttempts = 4 }, logger: PasswordAudit.Logger);
        await using var driver = Driver(bmc, auth: RedfishAuth.Basic);
        bmc.FailNext(503, 2);
        var outcome = await orchestrator.RunAsync(new PowerTarget("n1", driver), PowerAction.On, CancellationToken.None);
        Assert.That(outcome.Succeeded, Is.True, outcome.Error);
        Assert.That(outcome.Attempts, Is.EqualTo(3));
        Assert.That(bmc.Systems["1"].PowerState, Is.EqualTo("On"));

        await using var wrong = Driver(bmc, password: PasswordAudit.WrongPassword, auth: RedfishAuth.Basic);
        var refused = await orchestrator.RunAsync(new PowerTarget("n2", wrong), PowerAction.Off, CancellationToken.None);
        Assert.That(refused.Succeeded, Is.False);
        Assert.That(refused.Failure, Is.EqualTo(PowerFailure.AuthenticationFailed));
        Assert.That(refused.Attempts, Is.EqualTo(1), "a wrong password is not retried");
        PasswordAudit.Record(refused.Error!);
    }

    [Test]
    public async Task Bulk_50NodesCycledOnOneSlowBmc_AtMost10InFlight_FinishWithinTheBound()
    {
        const int nodes = 50, k = 10;
        var delay = TimeSpan.FromMilliseconds(100);
        await using var bmc = await RedfishTestBmc.StartAsync(User, PasswordAudit.RedfishPassword, systemCount: nodes);
        var drivers = Enumerable.Range(1, nodes).Select(i => Driver(bmc, auth: RedfishAuth.Basic, systemId: $"node{i}")).ToArray();
        try
        {
            // Warm the TLS connections and system lookups first, then count only the cycles.
            foreach (var d in drivers)
            {
                await d.GetPowerStateAsync(CancellationToken.None);
            }
            bmc.Delay = delay;
            var orchestrator = new PowerOrchestrator(new PowerOrchestratorOptions { MaxInFlight = 32 }, logger: PasswordAudit.Logger);
            var watch = Stopwatch.StartNew();
            var outcomes = await orchestrator.RunBulkAsync(drivers.Select((d, i) => new PowerTarget($"node{i + 1}", d)).ToArray(), PowerAction.Cycle, k, CancellationToken.None);
            watch.Stop();
            Assert.That(outcomes.All(o => o.Succeeded), Is.True, string.Join("; ", outcomes.Where(o => !o.Succeeded).Select(o => o.Error)));
            Assert.That(bmc.Systems.Values.All(s => s.Resets.SequenceEqual(["PowerCycle"])), Is.True);
            // Each cycle is a GET and a POST, each delayed: at least 2 * delay * nodes / k in all.
            Assert.That(bmc.MaxConcurrentRequests, Is.LessThanOrEqualTo(k), "never more than K calls at the BMC");
            var floor = 2 * delay * nodes / k;
            Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(floor * 0.9));
            Assert.That(watch.Elapsed, Is.LessThan(floor * 4 + TimeSpan.FromSeconds(3)), $"bound for {nodes} nodes at {k} in flight");
            TestContext.Out.WriteLine($"50 cycles, K={k}: {watch.Elapsed.TotalSeconds:0.00} s (floor {floor.TotalSeconds:0.00} s), max {bmc.MaxConcurrentRequests} at the BMC");
        }
        finally
        {
            foreach (var d in drivers)
            {
                await d.DisposeAsync();
            }
        }
    }
}

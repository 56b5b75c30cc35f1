using System.Diagnostics;
using BareMetal.Provisioning.Power.Orchestration;
using Microsoft.Extensions.Time.Testing;

namespace BareMetal.Provisioning.Power.Tests.Orchestration;

/// <summary>The orchestrator's rules on injected time: nothing here waits on a real clock.</summary>
public class PowerOrchestratorTests
{
    /// <summary>Lets continuations run until <paramref name="condition"/> holds (real time only guards against a hang).</summary>
    private static async Task SettleAsync(Func<bool> condition)
    {
        var guard = Stopwatch.StartNew();
        while (!condition())
        {
            if (guard.Elapsed > TimeSpan.FromSeconds(10))
            {
                Assert.Fail("the orchestrator did not reach the expected state");
            }
            await Task.Yield();
        }
    }

    /// <summary>Advances injected time in steps until <paramref name="task"/> completes; returns the virtual time it took.</summary>
    private static async Task<TimeSpan> DriveAsync(FakeTimeProvider time, Task task, TimeSpan step)
    {
        var start = time.GetUtcNow();
        var guard = Stopwatch.StartNew();
        while (!task.IsCompleted)
        {
            if (guard.Elapsed > TimeSpan.FromSeconds(20))
            {
                Assert.Fail("did not finish");
            }
            time.Advance(step);
            for (var i = 0; i < 50; i++)
            {
                await Task.Yield();
            }
        }
        await task;
        return time.GetUtcNow() - start;
    }

    [Test]
    public async Task Bulk_50Nodes_AtMostKInFlight_FinishInCeilNOverKRounds()
    {
        var time = new FakeTimeProvider();
        var shared = new ScriptedDriver.Shared();
        var drivers = Enumerable.Range(0, 50).Select(_ => new ScriptedDriver(time, TimeSpan.FromSeconds(2), shared)).ToArray();
        var orchestrator = new PowerOrchestrator(new PowerOrchestratorOptions { MaxInFlight = 32 }, time);
        var bulk = orchestrator.RunBulkAsync(drivers.Select((d, i) => new PowerTarget($"n{i}", d)).ToArray(), PowerAction.Cycle, 5, CancellationToken.None);
        await SettleAsync(() => shared.Now == 5);
        var took = await DriveAsync(time, bulk, TimeSpan.FromMilliseconds(500));
        var outcomes = await bulk;
        Assert.That(outcomes.All(o => o.Succeeded), Is.True);
        Assert.That(shared.Max, Is.EqualTo(5));
        // 10 rounds of 2 s; stepping by 0.5 s may overshoot by less than one step per round.
        Assert.That(took, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(20)).And.LessThanOrEqualTo(TimeSpan.FromSeconds(25)));
    }

    [Test]
    public async Task GlobalBound_HoldsAcrossSeparateCalls()
    {
        var time = new FakeTimeProvider();
        var shared = new ScriptedDriver.Shared();
        var orchestrator = new PowerOrchestrator(new PowerOrchestratorOptions { MaxInFlight = 3 }, time);
        var calls = Enumerable.Range(0, 10).Select(i => orchestrator.RunAsync(new PowerTarget($"n{i}", new ScriptedDriver(time, TimeSpan.FromSeconds(1), shared)), PowerAction.On, CancellationToken.None)).ToArray();
        await SettleAsync(() => shared.Now == 3);
        await DriveAsync(time, Task.WhenAll(calls), TimeSpan.FromSeconds(1));
        Assert.That(shared.Max, Is.EqualTo(3));
    }

    [Test]
    public async Task SameBmc_OneCallAtATime_OtherNodesUnaffected()
    {
        var time = new FakeTimeProvider();
        var shared = new ScriptedDriver.Shared();
        var slow = new ScriptedDriver(time, TimeSpan.FromSeconds(10), shared);
        var fast = new ScriptedDriver(time, TimeSpan.FromSeconds(1), shared);
        var orchestrator = new PowerOrchestrator(new PowerOrchestratorOptions { MaxInFlight = 8 }, time);
        var a = orchestrator.RunAsync(new PowerTarget("slow", slow), PowerAction.Cycle, CancellationToken.None);
        var b = orchestrator.RunAsync(new PowerTarget("slow", slow), PowerAction.Status, CancellationToken.None);
        var c = orchestrator.RunAsync(new PowerTarget("fast", fast), PowerAction.On, CancellationToken.None);
        await SettleAsync(() => shared.Now == 2);
        Assert.That(slow.MaxInFlightHere, Is.EqualTo(1));
        await DriveAsync(time, c, TimeSpan.FromSeconds(1));
        Assert.That(c.Result.Succeeded, Is.True);
        Assert.That(a.IsCompleted, Is.False, "the slow BMC's call is still running while the other node is done");
        await DriveAsync(time, Task.WhenAll(a, b), TimeSpan.FromSeconds(1));
        Assert.That(slow.MaxInFlightHere, Is.EqualTo(1));
        Assert.That(slow.Starts[1] - slow.Starts[0], Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(10)));
    }

    [Test]
    public async Task BusyThenUnreachable_AreRetriedWithDoublingBackoff()
    {
        var time = new FakeTimeProvider();
        var driver = new ScriptedDriver(time, TimeSpan.Zero, new ScriptedDriver.Shared(), PowerFailure.Busy, PowerFailure.Unreachable, null);
        var orchestrator = new PowerOrchestrator(new PowerOrchestratorOptions { InitialBackoff = TimeSpan.FromSeconds(1) }, time);
        var run = orchestrator.RunAsync(new PowerTarget("n", driver), PowerAction.On, CancellationToken.None);
        await DriveAsync(time, run, TimeSpan.FromMilliseconds(250));
        Assert.That(run.Result.Succeeded, Is.True);
        Assert.That(run.Result.Attempts, Is.EqualTo(3));
        Assert.That(driver.Starts[1] - driver.Starts[0], Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(driver.Starts[2] - driver.Starts[1], Is.EqualTo(TimeSpan.FromSeconds(2)));
    }

    [TestCase(PowerFailure.AuthenticationFailed)]
    [TestCase(PowerFailure.Unsupported)]
    [TestCase(PowerFailure.CertificateRejected)]
    public async Task PermanentFailures_AreNotRetried(PowerFailure failure)
    {
        var time = new FakeTimeProvider();
        var driver = new ScriptedDriver(time, TimeSpan.Zero, new ScriptedDriver.Shared(), failure, null);
        var orchestrator = new PowerOrchestrator(new PowerOrchestratorOptions(), time);
        var outcome = await orchestrator.RunAsync(new PowerTarget("n", driver), PowerAction.Off, CancellationToken.None);
        Assert.That(outcome.Succeeded, Is.False);
        Assert.That(outcome.Failure, Is.EqualTo(failure));
        Assert.That(driver.Calls, Is.EqualTo(1));
    }

    [Test]
    public async Task TransientFailures_GiveUpAfterMaxAttempts_WithTheLastWords()
    {
        var time = new FakeTimeProvider();
        var driver = new ScriptedDriver(time, TimeSpan.Zero, new ScriptedDriver.Shared(), PowerFailure.Busy, PowerFailure.Busy, PowerFailure.Unreachable);
        var orchestrator = new PowerOrchestrator(new PowerOrchestratorOptions { MaxAttempts = 3 }, time);
        var run = orchestrator.RunAsync(new PowerTarget("n", driver), PowerAction.On, CancellationToken.None);
        await DriveAsync(time, run, TimeSpan.FromMilliseconds(500));
        Assert.That(run.Result.Failure, Is.EqualTo(PowerFailure.Unreachable));
        Assert.That(run.Result.Error, Is.EqualTo("scripted Unreachable"));
        Assert.That(driver.Calls, Is.EqualTo(3));
    }

    [Test]
    public async Task SlowCall_TimesOut_AndFreesItsSlot()
    {
        var time = new FakeTimeProvider();
        var shared = new ScriptedDriver.Shared();
        var hung = new ScriptedDriver(time, TimeSpan.FromHours(1), shared);
        var quick = new ScriptedDriver(time, TimeSpan.FromSeconds(1), shared);
        var orchestrator = new PowerOrchestrator(new PowerOrchestratorOptions { MaxInFlight = 1, CallTimeout = TimeSpan.FromSeconds(30) }, time);
        var a = orchestrator.RunAsync(new PowerTarget("hung", hung), PowerAction.On, CancellationToken.None);
        var b = orchestrator.RunAsync(new PowerTarget("quick", quick), PowerAction.On, CancellationToken.None);
        await DriveAsync(time, Task.WhenAll(a, b), TimeSpan.FromSeconds(5));
        Assert.That(a.Result.Failure, Is.EqualTo(PowerFailure.Timeout));
        Assert.That(a.Result.Error, Does.Contain("within 30 s"));
        Assert.That(b.Result.Succeeded, Is.True);
    }
}

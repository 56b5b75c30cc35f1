using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.Provisioning.Power.Orchestration;

/// <summary>
/// Runs power calls so that one BMC's trouble stays its own: one call at a time per BMC (two
/// sessions on one BMC fight over its few slots and its state), a global bound on calls in flight, a
/// per-call timeout, and exponential back-off for transient failures (Unreachable, Busy) but never for
/// AuthenticationFailed and the like. A node waiting for its BMC or backing off holds no global slot,
/// so a slow BMC never blocks another node. Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class PowerOrchestrator
{
    private readonly PowerOrchestratorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _global;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _perBmc = new(StringComparer.Ordinal);

    public PowerOrchestrator(PowerOrchestratorOptions options, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxAttempts, 1);
        _options = options;
        _time = time ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _global = new SemaphoreSlim(options.MaxInFlight, options.MaxInFlight);
    }

    /// <summary>One action on one node, retried and bounded; failures come back as an outcome, not an exception.</summary>
    public async Task<PowerOutcome> RunAsync(PowerTarget target, PowerAction action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        var attempts = 0;
        try
        {
            var (state, instruction) = await CallAsync(target, action.ToString(), async (driver, ct) =>
            {
                attempts++;
                return await Apply(driver, action, ct);
            }, cancellationToken);
            Log.PowerDone(_logger, action.ToString(), target.Node, instruction ?? state?.ToString() ?? "done");
            return PowerOutcome.Done(target.Node, action, state, instruction, attempts);
        }
        catch (PowerException e)
        {
            Log.PowerFailed(_logger, action.ToString(), target.Node, e.Message);
            return PowerOutcome.Failed(target.Node, action, e, attempts);
        }
    }

    /// <summary>The same action on every node, at most <paramref name="maxInFlight"/> at once (and never beyond the global bound); outcomes in input order.</summary>
    public async Task<IReadOnlyList<PowerOutcome>> RunBulkAsync(IReadOnlyList<PowerTarget> targets, PowerAction action, int maxInFlight, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        using var bulk = new SemaphoreSlim(maxInFlight, maxInFlight);
        var tasks = targets.Select(async t =>
        {
            await bulk.WaitAsync(cancellationToken);
            try
            {
                return await RunAsync(t, action, cancellationToken);
            }
            finally
            {
                bulk.Release();
            }
        }).ToArray();
        return await Task.WhenAll(tasks);
    }

    /// <summary>
    /// Any call on a node's driver under the orchestrator's rules: serialised per BMC, bounded globally,
    /// timed out per attempt, retried with back-off when transient. Throws the last PowerException.
    /// </summary>
    public async Task<T> CallAsync<T>(PowerTarget target, string what, Func<IPowerDriver, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(call);
        var bmc = _perBmc.GetOrAdd(target.Key, _ => new SemaphoreSlim(1, 1));
        await bmc.WaitAsync(cancellationToken);
        try
        {
            var backoff = _options.InitialBackoff;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await AttemptAsync(target, what, call, cancellationToken);
                }
                catch (PowerException e) when (e.IsTransient && attempt < _options.MaxAttempts)
                {
                    Log.PowerRetry(_logger, what, target.Node, attempt, e.Message, backoff);
                    await Task.Delay(backoff, _time, cancellationToken);
                    backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
                }
            }
        }
        finally
        {
            bmc.Release();
        }
    }

    private async Task<T> AttemptAsync<T>(PowerTarget target, string what, Func<IPowerDriver, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        await _global.WaitAsync(cancellationToken);
        try
        {
            using var timeout = new CancellationTokenSource(_options.CallTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var work = call(target.Driver, linked.Token);
            // A driver that ignores its token must still not hold the node past the timeout.
            var expired = Task.Delay(Timeout.InfiniteTimeSpan, timeout.Token);
            var first = await Task.WhenAny(work, expired);
            if (first == work)
            {
                try
                {
                    return await work;
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw TimedOut(target, what);
                }
            }
            cancellationToken.ThrowIfCancellationRequested();
            _ = work.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw TimedOut(target, what);
        }
        finally
        {
            _global.Release();
        }
    }

    private PowerException TimedOut(PowerTarget target, string what) =>
        new(PowerFailure.Timeout, $"power {what} on node {target.Node} did not finish within {_options.CallTimeout.TotalSeconds:0.#} s");

    private static async Task<(PowerState? State, string? Instruction)> Apply(IPowerDriver driver, PowerAction action, CancellationToken ct)
    {
        PowerActionResult result;
        switch (action)
        {
            case PowerAction.Status:
                return (await driver.GetPowerStateAsync(ct), null);
            case PowerAction.On:
                result = await driver.PowerOnAsync(ct);
                break;
            case PowerAction.Off:
                result = await driver.PowerOffAsync(ct);
                break;
            case PowerAction.SoftOff:
                result = await driver.SoftOffAsync(ct);
                break;
            case PowerAction.Cycle:
                result = await driver.CycleAsync(ct);
                break;
            case PowerAction.BootNetworkOnce:
                result = await driver.SetNextBootAsync(BootDevice.Network, persistent: false, ct);
                break;
            case PowerAction.BootDiskPersistent:
                result = await driver.SetNextBootAsync(BootDevice.Disk, persistent: true, ct);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(action), action, null);
        }
        return (null, result.OperatorInstruction);
    }
}

namespace BareMetal.Provisioning.Power.Manual;

/// <summary>
/// For a machine without a BMC: every action is an instruction for a person, and the power state is
/// Unknown. Nothing pretends the machine obeyed; the server shows the instruction and waits (for the
/// node's PXE request or os-up, which it sees anyway).
/// </summary>
public sealed class ManualPowerDriver : IPowerDriver
{
    private readonly string _node;

    /// <param name="node">How the operator finds the machine: its name, rack position or MAC.</param>
    public ManualPowerDriver(string node)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        _node = node;
    }

    public Task<PowerState> GetPowerStateAsync(CancellationToken cancellationToken) => Task.FromResult(PowerState.Unknown);

    public Task<PowerActionResult> PowerOnAsync(CancellationToken cancellationToken) =>
        Instruct($"Press the power button of node {_node} to turn it on.");

    public Task<PowerActionResult> PowerOffAsync(CancellationToken cancellationToken) =>
        Instruct($"Hold the power button of node {_node} for about 5 seconds until it turns off.");

    public Task<PowerActionResult> SoftOffAsync(CancellationToken cancellationToken) =>
        Instruct($"Shut down the operating system of node {_node}, or press its power button once and let it shut down.");

    public Task<PowerActionResult> CycleAsync(CancellationToken cancellationToken) =>
        Instruct($"Turn node {_node} off and on again: hold its power button until it is off, then press it once.");

    public Task<PowerActionResult> SetNextBootAsync(BootDevice device, bool persistent, CancellationToken cancellationToken)
    {
        var what = device == BootDevice.Network ? "network boot (PXE)" : "its first disk";
        return Instruct(persistent
            ? $"In the firmware setup of node {_node}, put {what} first in the boot order."
            : $"At the next start of node {_node}, open its boot menu (often F11 or F12) and choose {what}.");
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static Task<PowerActionResult> Instruct(string text) => Task.FromResult(PowerActionResult.Instruct(text));
}

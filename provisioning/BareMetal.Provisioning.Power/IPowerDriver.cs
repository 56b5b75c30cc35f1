namespace BareMetal.Provisioning.Power;

/// <summary>
/// One node's power control, whatever sits behind it (an IPMI BMC, a Redfish service, a person).
/// Every failure is a <see cref="PowerException"/> carrying a <see cref="PowerFailure"/> and the BMC's
/// own words. A driver is used by one caller at a time (the orchestrator serialises per node).
/// </summary>
public interface IPowerDriver : IAsyncDisposable
{
    Task<PowerState> GetPowerStateAsync(CancellationToken cancellationToken);

    Task<PowerActionResult> PowerOnAsync(CancellationToken cancellationToken);

    /// <summary>Hard off: the power is cut without asking the OS.</summary>
    Task<PowerActionResult> PowerOffAsync(CancellationToken cancellationToken);

    /// <summary>Asks the OS to shut down (ACPI power button); the node may take a while, or refuse.</summary>
    Task<PowerActionResult> SoftOffAsync(CancellationToken cancellationToken);

    /// <summary>Off then on (a node that is off is turned on where the BMC allows it).</summary>
    Task<PowerActionResult> CycleAsync(CancellationToken cancellationToken);

    /// <summary>The device the node boots from next time (<paramref name="persistent"/>: every time until changed).</summary>
    Task<PowerActionResult> SetNextBootAsync(BootDevice device, bool persistent, CancellationToken cancellationToken);
}

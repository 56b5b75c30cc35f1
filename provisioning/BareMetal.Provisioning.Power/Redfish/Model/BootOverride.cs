namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>Boot override target ("Pxe", "Hdd") and how long it holds ("Once", "Continuous").</summary>
public sealed record BootOverride(string BootSourceOverrideTarget, string BootSourceOverrideEnabled);

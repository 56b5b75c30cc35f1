namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>The body of the boot-override PATCH: <c>{"Boot": {...}}</c>.</summary>
public sealed record BootPatch(BootOverride Boot);

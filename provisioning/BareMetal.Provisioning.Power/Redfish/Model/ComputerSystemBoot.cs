using System.Text.Json.Serialization;

namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>ComputerSystem.Boot: the one-time or continuous boot source override.</summary>
public sealed record ComputerSystemBoot(
    string? BootSourceOverrideTarget,
    string? BootSourceOverrideEnabled,
    [property: JsonPropertyName("BootSourceOverrideTarget@Redfish.AllowableValues")] string[]? AllowableTargets);

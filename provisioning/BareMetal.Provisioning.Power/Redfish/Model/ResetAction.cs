using System.Text.Json.Serialization;

namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>#ComputerSystem.Reset: where to POST, and which ResetType values the BMC takes.</summary>
public sealed record ResetAction(
    [property: JsonPropertyName("target")] string? Target,
    [property: JsonPropertyName("ResetType@Redfish.AllowableValues")] string[]? AllowableValues);

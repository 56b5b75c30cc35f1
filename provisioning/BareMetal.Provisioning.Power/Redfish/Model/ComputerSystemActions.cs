using System.Text.Json.Serialization;

namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>ComputerSystem.Actions.</summary>
public sealed record ComputerSystemActions([property: JsonPropertyName("#ComputerSystem.Reset")] ResetAction? Reset);

using System.Text.Json.Serialization;

namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>The error object: a code, a message and the messages that explain it.</summary>
public sealed record RedfishError(
    string? Code,
    string? Message,
    [property: JsonPropertyName("@Message.ExtendedInfo")] RedfishMessage[]? ExtendedInfo);

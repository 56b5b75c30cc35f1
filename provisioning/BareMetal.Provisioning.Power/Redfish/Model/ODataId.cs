using System.Text.Json.Serialization;

namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>A Redfish link: <c>{"@odata.id": "/redfish/v1/..."}</c>.</summary>
public sealed record ODataId([property: JsonPropertyName("@odata.id")] string? Id);

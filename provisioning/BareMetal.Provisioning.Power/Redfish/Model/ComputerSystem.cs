using System.Text.Json.Serialization;

namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>The parts of ComputerSystem (DSP8010 ComputerSystem.v1) the driver reads.</summary>
public sealed record ComputerSystem(
    string? Id,
    string? PowerState,
    ComputerSystemBoot? Boot,
    ComputerSystemActions? Actions,
    [property: JsonPropertyName("@odata.etag")] string? ODataETag);

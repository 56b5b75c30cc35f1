namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>A Redfish collection's members.</summary>
public sealed record ResourceCollection(ODataId[]? Members);

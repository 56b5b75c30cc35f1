namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>ServiceRoot.Links: where sessions are created.</summary>
public sealed record ServiceRootLinks(ODataId? Sessions);

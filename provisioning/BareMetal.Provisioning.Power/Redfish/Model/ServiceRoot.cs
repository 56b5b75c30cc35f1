namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>The parts of ServiceRoot (DSP8010 ServiceRoot.v1) the driver follows.</summary>
public sealed record ServiceRoot(ODataId? Systems, ODataId? SessionService, ServiceRootLinks? Links);

namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>The body of a #ComputerSystem.Reset POST.</summary>
public sealed record ResetRequest(string ResetType);

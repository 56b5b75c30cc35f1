namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>One @Message.ExtendedInfo entry (DSP8010 Message.v1).</summary>
public sealed record RedfishMessage(string? MessageId, string? Message);

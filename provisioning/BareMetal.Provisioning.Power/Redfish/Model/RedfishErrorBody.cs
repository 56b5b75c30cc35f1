namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>A Redfish error response (DSP0266 9.6): <c>{"error": {...}}</c>.</summary>
public sealed record RedfishErrorBody(RedfishError? Error);

namespace BareMetal.ImageStore.Iscsi.Policy;

/// <summary>What the target knows about a login when it asks <see cref="IIscsiAuthPolicy"/>.</summary>
/// <param name="TargetName">The TargetName key as sent; null in a discovery session (SendTargets).</param>
/// <param name="ExportName">The export that target name maps to (<see cref="Session.IscsiTargetNames.ToExport"/>), or null.</param>
/// <param name="InitiatorName">The InitiatorName key (the initiator's IQN), or null when it sent none.</param>
/// <param name="InitiatorAddress">The initiator's IP address as the socket saw it.</param>
/// <param name="IsDiscovery">SessionType=Discovery.</param>
public sealed record IscsiAuthRequest(string? TargetName, string? ExportName, string? InitiatorName, string InitiatorAddress, bool IsDiscovery);

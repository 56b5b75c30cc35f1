namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>
/// Something that happened to a node's boot. Progress counters are the latest absolute values
/// (null = not reported by this event) and are kept on the current deployment.
/// </summary>
/// <param name="Kind">Where it came from.</param>
/// <param name="ReportedState">For <see cref="DeploymentEventKind.NodeReport"/> and <see cref="DeploymentEventKind.Manual"/>: the state claimed.</param>
/// <param name="Message">Free text (an error, a file name); at most <see cref="MaxMessageLength"/> characters kept.</param>
/// <param name="IsBootFirmware">For DHCP contacts: false when the sender is an OS DHCP client (does not start a deployment).</param>
public sealed record DeploymentEvent(
    DeploymentEventKind Kind,
    DeploymentState? ReportedState = null,
    string? Message = null,
    long? BytesStreamed = null,
    long? BlocksFetched = null,
    long? OverlayBytes = null,
    double? CopyPercent = null,
    bool IsBootFirmware = true)
{
    public const int MaxMessageLength = 1024;
}

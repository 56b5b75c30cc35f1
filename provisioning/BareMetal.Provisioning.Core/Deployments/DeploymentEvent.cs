namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>
/// Something that happened to a node's boot. Progress counters are the latest absolute values
/// (null = not reported by this event) and are kept on the current deployment.
/// </summary>
/// <param name="Kind">Where it came from.</param>
/// <param name="ReportedState">For <see cref="DeploymentEventKind.NodeReport"/> and <see cref="DeploymentEventKind.Manual"/>: the state claimed.</param>
/// <param name="Message">Free text (an error, a file name); at most <see cref="MaxMessageLength"/> characters kept.</param>
/// <param name="IsBootFirmware">For DHCP contacts: false when the sender is an OS DHCP client (does not start a deployment).</param>
/// <param name="HandsOffToLocalDisk">For boot-script fetches: the script boots the node's local disk (local mode), which ends the boot as done.</param>
public sealed record DeploymentEvent(
    DeploymentEventKind Kind,
    DeploymentState? ReportedState = null,
    string? Message = null,
    long? BytesStreamed = null,
    long? BlocksFetched = null,
    long? OverlayBytes = null,
    double? CopyPercent = null,
    bool IsBootFirmware = true,
    bool HandsOffToLocalDisk = false)
{
    public const int MaxMessageLength = 1024;

    /// <summary>A DHCP contact as an event: boot firmware (PXE, UEFI, HTTP boot, iPXE) counts, an OS's DHCP client does not.</summary>
    public static DeploymentEvent FromDhcp(Pxe.Dhcp.Sessions.DhcpClientContact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return new DeploymentEvent(DeploymentEventKind.DhcpContact, Message: $"DHCP {contact.MessageType}",
            IsBootFirmware: contact.Firmware != Pxe.Dhcp.Policy.FirmwareKind.Other);
    }
}

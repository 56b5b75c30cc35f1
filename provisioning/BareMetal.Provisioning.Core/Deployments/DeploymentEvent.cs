namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>
/// Something that happened to a node's boot. Progress counters are the latest absolute values
/// (null = not reported by this event) and are kept on the current deployment.
/// </summary>
/// <param name="Kind">Where it came from.</param>
/// <param name="ReportedState">For <see cref="DeploymentEventKind.NodeReport"/> and <see cref="DeploymentEventKind.Manual"/>: the state claimed.</param>
/// <param name="Message">Free text (an error, a file name); at most <see cref="MaxMessageLength"/> characters kept.</param>
/// <param name="IsBootFirmware">For DHCP contacts: false when the sender is an OS DHCP client (does not start a deployment; while the node streams, its OS came up).</param>
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

    /// <summary>
    /// A DHCP contact as an event. Boot firmware (PXE, UEFI, HTTP boot, iPXE) starts a boot; anything else is
    /// an OS's DHCP client (udhcpc, dhclient, systemd-networkd, Windows), which says the node's OS came up.
    /// The vendor class is checked as well as <see cref="Pxe.Dhcp.Policy.FirmwareKind"/>: a PXE ROM that
    /// sends neither option 93 nor an "Arch:" field is still firmware.
    /// </summary>
    public static DeploymentEvent FromDhcp(Pxe.Dhcp.Session.DhcpClientContact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var firmware = IsFromBootFirmware(contact);
        var message = firmware ? $"DHCP {contact.MessageType}"
            : contact.VendorClass is { Length: > 0 } vendor ? $"the OS asked DHCP for an address (vendor class '{vendor}')"
            : "the OS asked DHCP for an address (no vendor class)";
        return new DeploymentEvent(DeploymentEventKind.DhcpContact, Message: message, IsBootFirmware: firmware);
    }

    /// <summary>True for boot firmware: a PXEClient or HTTPClient vendor class (option 60), or iPXE (user class or option 175).</summary>
    public static bool IsFromBootFirmware(Pxe.Dhcp.Session.DhcpClientContact contact)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return contact.Firmware != Pxe.Dhcp.Policy.FirmwareKind.Other
            || (contact.VendorClass?.StartsWith(Pxe.Dhcp.Policy.BootRequest.PxeClientPrefix, StringComparison.Ordinal) ?? false)
            || (contact.VendorClass?.StartsWith(Pxe.Dhcp.Policy.BootRequest.HttpClientPrefix, StringComparison.Ordinal) ?? false);
    }
}

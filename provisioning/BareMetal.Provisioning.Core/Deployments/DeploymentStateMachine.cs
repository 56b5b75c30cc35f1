using BareMetal.Provisioning.Core.Nodes;

namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>
/// The pure transition rules of a deployment: (current state, event) -> decision. No clock, no I/O.
/// <code>
///   Pxe -> Bootloader -> Streaming -> OsUp -> Copying -> Done
///           |  \____________________/^  \________________/^
///           |          (deploy ramdisk)       (stream mode)
///           |\-> Copying (BIOS deploy: the copier reads the image) -> Done
///           \-> Done (local boot)
///   any unfinished state -> Failed;  Done/Failed end a deployment.
/// </code>
/// Observed events map as follows. A DHCP contact from boot firmware starts a new deployment unless
/// one is still in Pxe/Bootloader (iPXE asks DHCP again after it is loaded: same boot). An OS's own
/// DHCP (no PXEClient/HTTPClient vendor class, no iPXE user class) while the node streams its disk means
/// the streamed OS came up: Streaming (or Bootloader in stream mode, before the first disk-read sample)
/// moves to OsUp; otherwise it is ignored (a deploy ramdisk's DHCP in Bootloader is not the OS). TFTP and the boot script move Pxe to Bootloader (the script alone starts a boot
/// when DHCP is not ours); a script that hands the node to its local disk (local mode) then moves
/// Bootloader to Done. Disk reads move Bootloader to Streaming and later only update counters; disk reads that carry a
/// copy percentage (deploy mode's copier reading the image) move Bootloader, Streaming or OsUp to Copying.
/// Node reports and manual changes claim a state: it must be an allowed move (or the current state),
/// else they are rejected; claiming Pxe starts a new deployment.
/// </summary>
public static class DeploymentStateMachine
{
    /// <summary>The allowed moves between distinct states.</summary>
    public static bool IsAllowed(DeploymentState from, DeploymentState to) => (from, to) switch
    {
        (DeploymentState.Pxe, DeploymentState.Bootloader) => true,
        (DeploymentState.Bootloader, DeploymentState.Streaming or DeploymentState.OsUp or DeploymentState.Copying or DeploymentState.Done) => true,
        (DeploymentState.Streaming, DeploymentState.OsUp or DeploymentState.Copying) => true,
        (DeploymentState.OsUp, DeploymentState.Copying or DeploymentState.Done) => true,
        (DeploymentState.Copying, DeploymentState.Done) => true,
        (DeploymentState.Pxe or DeploymentState.Bootloader or DeploymentState.Streaming or DeploymentState.OsUp or DeploymentState.Copying, DeploymentState.Failed) => true,
        _ => false,
    };

    public static bool IsTerminal(DeploymentState state) => state is DeploymentState.Done or DeploymentState.Failed;

    /// <param name="current">State of the node's current (unfinished) deployment; null when it has none.</param>
    /// <param name="mode">The current deployment's mode (what the node was told to boot); only an OS's DHCP asks.</param>
    public static TransitionDecision Decide(DeploymentState? current, DeploymentEvent e, NodeMode mode = NodeMode.None)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e.Kind)
        {
            case DeploymentEventKind.DhcpContact:
                if (!e.IsBootFirmware)
                {
                    // The installed OS's DHCP client: the streamed OS came up. Stream mode can still be in
                    // Bootloader when the OS asks before the progress pump sampled its first disk reads.
                    return current switch
                    {
                        DeploymentState.Streaming => new(TransitionAction.Move, DeploymentState.OsUp),
                        DeploymentState.Bootloader when mode == NodeMode.Stream => new(TransitionAction.Move, DeploymentState.OsUp),
                        DeploymentState.OsUp => new(TransitionAction.Stay),
                        _ => new(TransitionAction.Ignore),
                    };
                }
                return current is DeploymentState.Pxe or DeploymentState.Bootloader
                    ? new(TransitionAction.Stay)
                    : new(TransitionAction.Start, DeploymentState.Pxe);
            case DeploymentEventKind.TftpTransfer:
                return current switch
                {
                    DeploymentState.Pxe => new(TransitionAction.Move, DeploymentState.Bootloader),
                    DeploymentState.Bootloader => new(TransitionAction.Stay),
                    _ => new(TransitionAction.Ignore),
                };
            case DeploymentEventKind.BootScriptFetched:
                if (e.HandsOffToLocalDisk && current is DeploymentState.Bootloader)
                {
                    // Local mode: the script's `sanboot --drive 0x80` is the last thing we serve this boot.
                    return new(TransitionAction.Move, DeploymentState.Done);
                }
                return current switch
                {
                    DeploymentState.Pxe => new(TransitionAction.Move, DeploymentState.Bootloader),
                    DeploymentState.Bootloader => new(TransitionAction.Stay),
                    // A script fetch after the OS came up is a reboot whose DHCP we did not see.
                    _ => new(TransitionAction.Start, DeploymentState.Bootloader),
                };
            case DeploymentEventKind.DiskRead when e.CopyPercent is not null:
                // Deploy mode: the copier's reads of the image are the copy (BIOS deploy has no OS in between).
                return current switch
                {
                    DeploymentState.Bootloader or DeploymentState.Streaming or DeploymentState.OsUp => new(TransitionAction.Move, DeploymentState.Copying),
                    DeploymentState.Copying => new(TransitionAction.Stay),
                    _ => new(TransitionAction.Ignore),
                };
            case DeploymentEventKind.DiskRead:
                return current switch
                {
                    DeploymentState.Bootloader => new(TransitionAction.Move, DeploymentState.Streaming),
                    DeploymentState.Streaming or DeploymentState.OsUp or DeploymentState.Copying => new(TransitionAction.Stay),
                    _ => new(TransitionAction.Ignore),
                };
            case DeploymentEventKind.NodeReport:
            case DeploymentEventKind.Manual:
                if (e.ReportedState is not { } to)
                {
                    return current is null ? new(TransitionAction.Ignore) : new(TransitionAction.Stay);
                }
                if (to == DeploymentState.Pxe)
                {
                    return new(TransitionAction.Start, DeploymentState.Pxe);
                }
                if (current is not { } from)
                {
                    return new(TransitionAction.Reject, to);
                }
                return from == to ? new(TransitionAction.Stay)
                    : IsAllowed(from, to) ? new(TransitionAction.Move, to)
                    : new(TransitionAction.Reject, to);
            default:
                return new(TransitionAction.Ignore);
        }
    }
}

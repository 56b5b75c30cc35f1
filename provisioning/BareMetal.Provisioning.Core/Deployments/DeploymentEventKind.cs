namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>Where an event comes from. Persisted (in transition history): never renumber.</summary>
public enum DeploymentEventKind
{
    /// <summary>A DHCP packet: from boot firmware (PXE ROM, UEFI, iPXE) it starts a boot; from an OS's DHCP client, the streamed OS came up.</summary>
    DhcpContact = 0,

    /// <summary>A TFTP transfer of a boot file started or finished.</summary>
    TftpTransfer = 1,

    /// <summary>The node fetched /boot/{mac}.ipxe.</summary>
    BootScriptFetched = 2,

    /// <summary>The block service served reads of the node's disk (carries progress counters).</summary>
    DiskRead = 3,

    /// <summary>The node said where it is (its agent or the ramdisk POSTs a state).</summary>
    NodeReport = 4,

    /// <summary>A user changed the state (console or API).</summary>
    Manual = 5,
}

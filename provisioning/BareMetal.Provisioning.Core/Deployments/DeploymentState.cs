namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>
/// Where a node's boot stands. Persisted: never renumber. The allowed moves are in
/// <see cref="DeploymentStateMachine"/>.
/// </summary>
public enum DeploymentState
{
    /// <summary>Its boot firmware asked DHCP for a boot file.</summary>
    Pxe = 0,

    /// <summary>It fetched a boot loader (TFTP) or its iPXE script (HTTP).</summary>
    Bootloader = 1,

    /// <summary>It reads its disk from the block service.</summary>
    Streaming = 2,

    /// <summary>Its OS reported that it is up.</summary>
    OsUp = 3,

    /// <summary>The image is being copied to the local disk (deploy mode).</summary>
    Copying = 4,

    /// <summary>Finished: the node runs from its local disk, or booted its local disk.</summary>
    Done = 5,

    /// <summary>Gave up (node reported an error).</summary>
    Failed = 6,
}

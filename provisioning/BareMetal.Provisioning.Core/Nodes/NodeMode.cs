namespace BareMetal.Provisioning.Core.Nodes;

/// <summary>How an assigned node boots. Persisted: never renumber.</summary>
public enum NodeMode
{
    /// <summary>Not assigned: the node gets the wait-and-retry script.</summary>
    None = 0,

    /// <summary>sanboot the HTTP-range export of the node's copy-on-write overlay of its image.</summary>
    Stream = 1,

    /// <summary>Copy the image onto the local disk, then boot that disk (BIOS: sanhook + the deploy copier NBP; UEFI: not done yet, the script says so).</summary>
    Deploy = 2,

    /// <summary>Boot the local disk.</summary>
    Local = 3,

    /// <summary>The de-virtualizable VMM (modelled by mediator-model; reserved).</summary>
    Devirt = 4,
}

namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>GUIDs that name VHDX regions, metadata items and parent locator types (MS-VHDX 2.2, 2.6).</summary>
public static class VhdxKnownIds
{
    /// <summary>Region: the block allocation table.</summary>
    public static readonly Guid BatRegion = new("2DC27766-F623-4200-9D64-115E9BFD4A08");

    /// <summary>Region: the metadata table and its items.</summary>
    public static readonly Guid MetadataRegion = new("8B7CA206-4790-4B9A-B8FE-575F050F886E");

    /// <summary>Item: block size and the leave-blocks-allocated / has-parent flags.</summary>
    public static readonly Guid FileParameters = new("CAA16737-FA36-4D43-B3B6-33F0AA44E76B");

    /// <summary>Item: the guest-visible size in bytes.</summary>
    public static readonly Guid VirtualDiskSize = new("2FA54224-CD1B-4876-B211-5DBED83BF4B8");

    /// <summary>Item: the SCSI page 83 identifier of the virtual disk.</summary>
    public static readonly Guid Page83Data = new("BECA12AB-B2E6-4523-93EF-C309E000C746");

    /// <summary>Item: logical sector size (512 or 4096).</summary>
    public static readonly Guid LogicalSectorSize = new("8141BF1D-A96F-4709-BA47-F233A8FAAB5F");

    /// <summary>Item: physical sector size (512 or 4096).</summary>
    public static readonly Guid PhysicalSectorSize = new("CDA348C7-445D-4471-9CC9-E9885251C556");

    /// <summary>Item: where a differencing disk's parent is.</summary>
    public static readonly Guid ParentLocator = new("A8D35F2D-B30B-454D-ABF7-D3D84834AB0C");

    /// <summary>The only parent locator type defined: a VHDX parent named by key/value paths.</summary>
    public static readonly Guid VhdxParentLocatorType = new("B04AEFB7-D19E-4A81-B789-25B8E9445913");
}

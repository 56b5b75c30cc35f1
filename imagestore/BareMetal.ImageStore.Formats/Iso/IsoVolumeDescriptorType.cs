namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>The type byte of a volume descriptor (ECMA-119 8.1.1).</summary>
public enum IsoVolumeDescriptorType : byte
{
    /// <summary>Boot record: El Torito points to its boot catalog here.</summary>
    BootRecord = 0,
    Primary = 1,
    /// <summary>Supplementary (Joliet) or enhanced volume descriptor.</summary>
    Supplementary = 2,
    Partition = 3,
    /// <summary>Ends the descriptor set.</summary>
    Terminator = 255,
}

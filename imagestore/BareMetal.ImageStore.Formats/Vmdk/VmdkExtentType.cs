namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>The type column of a descriptor extent line.</summary>
public enum VmdkExtentType
{
    /// <summary>FLAT: guest sectors are file sectors from an offset (monolithicFlat, twoGbMaxExtentFlat).</summary>
    Flat,
    /// <summary>SPARSE: a hosted sparse extent with its own KDMV header and grain tables.</summary>
    Sparse,
    /// <summary>ZERO: no file, reads as zeros.</summary>
    Zero,
    /// <summary>VMFS: an ESX flat extent; read like FLAT.</summary>
    Vmfs,
}

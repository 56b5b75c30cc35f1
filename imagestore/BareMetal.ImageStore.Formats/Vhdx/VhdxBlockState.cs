namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>The low 3 bits of a BAT entry (MS-VHDX 2.5.1).</summary>
public enum VhdxBlockState : byte
{
    /// <summary>Payload: not in this file (read the parent, or zeros). Sector bitmap: absent.</summary>
    NotPresent = 0,
    /// <summary>Payload: contents undefined (we read zeros, as qemu does).</summary>
    Undefined = 1,
    /// <summary>Payload: reads as zeros.</summary>
    Zero = 2,
    /// <summary>Payload: unmapped (trimmed); reads as zeros.</summary>
    Unmapped = 3,
    /// <summary>Payload: every sector is in this file. Sector bitmap: present.</summary>
    FullyPresent = 6,
    /// <summary>Payload (differencing only): the sector bitmap says which sectors are here.</summary>
    PartiallyPresent = 7,
}

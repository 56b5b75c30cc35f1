namespace BareMetal.ImageStore.Formats.Vmdk;

/// <summary>The access column of a descriptor extent line.</summary>
public enum VmdkAccess
{
    /// <summary>RW: readable and writable.</summary>
    ReadWrite,
    /// <summary>RDONLY: readable only.</summary>
    ReadOnly,
    /// <summary>NOACCESS: present but not to be read; we read it as zeros.</summary>
    NoAccess,
}

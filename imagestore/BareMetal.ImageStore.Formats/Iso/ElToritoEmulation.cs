namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>Boot media type of an El Torito entry (low 4 bits of byte 1).</summary>
public enum ElToritoEmulation : byte
{
    NoEmulation = 0,
    Floppy12M = 1,
    Floppy144M = 2,
    Floppy288M = 3,
    HardDisk = 4,
}

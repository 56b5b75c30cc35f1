namespace BareMetal.ImageStore.Formats.Iso;

/// <summary>
/// One bootable image in the El Torito catalog: the initial/default entry or a section entry.
/// </summary>
/// <param name="Index">1-based position among the catalog's boot images (as xorriso numbers them).</param>
/// <param name="LoadSegment">Real-mode segment to load at (0 means the BIOS default 0x7C0).</param>
/// <param name="SystemType">Partition type byte for hard-disk emulation.</param>
/// <param name="SectorCount">Virtual 512-byte sectors the BIOS loads.</param>
/// <param name="LoadRba">First 2048-byte sector of the image.</param>
public readonly record struct ElToritoEntry(
    int Index,
    bool Bootable,
    ElToritoPlatform Platform,
    ElToritoEmulation Emulation,
    ushort LoadSegment,
    byte SystemType,
    ushort SectorCount,
    uint LoadRba);

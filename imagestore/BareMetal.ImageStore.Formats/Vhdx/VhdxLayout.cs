namespace BareMetal.ImageStore.Formats.Vhdx;

/// <summary>Everything validated about a VHDX before its data is read.</summary>
internal sealed record VhdxLayout(VhdxHeader Header, VhdxOverlay Overlay, VhdxMetadata Metadata, VhdxBatEntry[] Payload, VhdxBatEntry[] Bitmaps, string Creator, VhdxRegionTable Regions);

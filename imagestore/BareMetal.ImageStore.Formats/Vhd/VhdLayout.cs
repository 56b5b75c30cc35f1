namespace BareMetal.ImageStore.Formats.Vhd;

/// <summary>Everything validated about a VHD before its data is read: footer, size, dynamic header and BAT.</summary>
internal sealed record VhdLayout(VhdFooter Footer, long Length, VhdDynamicHeader? Header, uint[] Bat);

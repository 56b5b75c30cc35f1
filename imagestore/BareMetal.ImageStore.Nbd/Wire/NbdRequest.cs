namespace BareMetal.ImageStore.Nbd.Wire;

/// <summary>A transmission request header (a WRITE's payload follows it on the wire).</summary>
public readonly record struct NbdRequest(ushort Flags, ushort Type, ulong Handle, ulong Offset, uint Length);

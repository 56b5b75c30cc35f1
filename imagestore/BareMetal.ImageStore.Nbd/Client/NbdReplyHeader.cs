namespace BareMetal.ImageStore.Nbd.Client;

/// <summary>A transmission reply header: simple (error, handle) or one structured chunk (flags, type,
/// handle, payload length).</summary>
public readonly record struct NbdReplyHeader(bool Structured, uint Error, ushort Flags, ushort Type, ulong Handle, uint Length);

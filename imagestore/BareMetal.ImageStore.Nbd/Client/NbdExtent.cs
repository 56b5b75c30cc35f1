using BareMetal.ImageStore.Nbd.Wire;

namespace BareMetal.ImageStore.Nbd.Client;

/// <summary>One base:allocation extent from BLOCK_STATUS: <see cref="Length"/> bytes from
/// <see cref="Offset"/> with the server's state flags (bit 0 hole, bit 1 reads as zero).</summary>
public readonly record struct NbdExtent(long Offset, long Length, uint Flags)
{
    public bool IsHole => (Flags & NbdProtocol.StateHole) != 0;

    public bool IsZero => (Flags & NbdProtocol.StateZero) != 0;
}

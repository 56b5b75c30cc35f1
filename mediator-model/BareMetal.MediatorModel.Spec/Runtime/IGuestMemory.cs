namespace BareMetal.MediatorModel.Spec.Runtime;

/// <summary>
/// Guest-physical memory as a generated mediator sees it (command lists, FIS, queue entries). The
/// addresses come from the guest and are hostile: an implementation reads zeros and drops writes
/// outside the memory it has, never throws.
/// </summary>
public interface IGuestMemory
{
    void Read(ulong address, Span<byte> destination);

    void Write(ulong address, ReadOnlySpan<byte> source);
}

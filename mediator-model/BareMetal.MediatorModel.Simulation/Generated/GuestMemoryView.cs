using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Spec.Runtime;

namespace BareMetal.MediatorModel.Simulation.Generated;

/// <summary>The simulator's guest memory as a generated mediator sees it: the control area (command
/// lists, tables, received-FIS areas) as bytes. Addresses come from the guest: anything outside the
/// control area reads zeros and writes are dropped, as <see cref="IGuestMemory"/> requires. Data pages
/// are content tags, not bytes; the spec never reads them (DMA stays in the simulator).</summary>
internal sealed class GuestMemoryView(GuestMemory memory) : IGuestMemory
{
    public void Read(ulong address, Span<byte> destination)
    {
        destination.Clear();
        if (Inside(address, destination.Length))
        {
            memory.Control((uint)address, destination.Length).CopyTo(destination);
        }
    }

    public void Write(ulong address, ReadOnlySpan<byte> source)
    {
        if (Inside(address, source.Length))
        {
            source.CopyTo(memory.Control((uint)address, source.Length));
        }
    }

    private static bool Inside(ulong address, int length) =>
        address <= GuestMemory.ControlBytes && (ulong)length <= GuestMemory.ControlBytes - address;
}

using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Spec.Runtime;
using DecodedCommand = BareMetal.MediatorModel.Spec.Runtime.DecodedCommand;

namespace BareMetal.MediatorModel.Simulation.Generated;

/// <summary>NVMe (specs/nvme.mspec): the data buffer is PRP1 of the submission entry (the doorbell's
/// first capture, 'sqe'); logical blocks of 512 bytes; a command runs as soon as it is fetched.</summary>
internal sealed class NvmeBinding : IDeviceBinding
{
    private const int Prp1 = 24;

    public int BlockBytes => 512;

    public long DataAddress(IGeneratedMediator device, GuestMemory memory, DecodedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(memory);
        var sqe = command.Captures[0];
        if (sqe > GuestMemory.ControlBytes - 64)
        {
            throw new AhciProtocolException($"submission entry 0x{sqe:X} outside control memory");
        }

        return memory.ReadUInt32((uint)sqe + Prp1) | ((long)memory.ReadUInt32((uint)sqe + Prp1 + 4) << 32);
    }

    public bool Ready(IGeneratedMediator device, DecodedCommand command) => true;
}

/// <summary>IDE with bus-master DMA (specs/ide.mspec): the buffer is the base of the PRD at BMIDTP
/// (the doorbell's capture 'prd'); 512-byte sectors; a read or write runs once the guest has started
/// the bus master (BMISTA.ACTIVE).</summary>
internal sealed class IdeBinding : IDeviceBinding
{
    private const int BmiSta = 0x12;

    public int BlockBytes => 512;

    public long DataAddress(IGeneratedMediator device, GuestMemory memory, DecodedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(memory);
        var prd = command.Captures[0];
        if (prd > GuestMemory.ControlBytes - 8)
        {
            throw new AhciProtocolException($"PRD table 0x{prd:X} outside control memory");
        }

        return memory.ReadUInt32((uint)prd);
    }

    public bool Ready(IGeneratedMediator device, DecodedCommand command)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(command);
        return command.Kind is not (CommandKind.Read or CommandKind.Write) || (device.ReadRegister(BmiSta, 1) & 1) != 0;
    }
}

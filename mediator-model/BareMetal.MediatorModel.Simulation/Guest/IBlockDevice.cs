namespace BareMetal.MediatorModel.Simulation.Guest;

/// <summary>The guest OS's view of its disk: an AHCI driver on real or mediated hardware, an NFS
/// root, or a KVM-emulated disk.</summary>
internal interface IBlockDevice
{
    IBlockClient? Client { get; set; }

    void Submit(in BlockRequest request);
}

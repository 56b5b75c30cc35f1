namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>One bare-metal machine (all nodes of a scenario are alike).</summary>
public sealed class NodeSpec
{
    public int Count { get; set; } = 1;

    /// <summary>Reboot: shutdown plus firmware initialization (POST, memory test, option ROMs).</summary>
    public double FirmwareRebootSeconds { get; set; } = 145;

    /// <summary>The de-virtualizable VMM's own boot once the network loader hands it over.</summary>
    public double VmmBootSeconds { get; set; } = 5;

    /// <summary>The KVM host OS's network boot before it can start the guest.</summary>
    public double KvmHostBootSeconds { get; set; } = 30;

    /// <summary>Seconds between node start times when many nodes deploy at once.</summary>
    public double StaggerSeconds { get; set; }

    public DiskSpec Disk { get; set; } = new();

    public LinkSpec Nic { get; set; } = new();

    internal void Validate()
    {
        Check.Range("node.count", Count, 1, 100_000);
        Check.Range("node.firmwareRebootSeconds", FirmwareRebootSeconds, 0, 1e5);
        Check.Range("node.vmmBootSeconds", VmmBootSeconds, 0, 1e5);
        Check.Range("node.kvmHostBootSeconds", KvmHostBootSeconds, 0, 1e5);
        Check.Range("node.staggerSeconds", StaggerSeconds, 0, 1e5);
        Disk.Validate("node.disk");
        Nic.Validate("node.nic");
    }
}

namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>A conventional VMM (KVM + QEMU) whose guest disk is emulated in user space.</summary>
public sealed class KvmSpec
{
    /// <summary>One exit to QEMU in user space and back.</summary>
    public double ExitUs { get; set; } = 15;

    /// <summary>Trapped register accesses per emulated disk command.</summary>
    public int ExitsPerIo { get; set; } = 30;

    /// <summary>QEMU copies each request's data through its own buffers.</summary>
    public double CopyGBps { get; set; } = 2;

    /// <summary>Extra CPU time of a guest under KVM while it boots (EPT, timer, APIC and port I/O
    /// exits: a boot probes devices and programs timers constantly). Once the OS is up, its workload
    /// pays the nested paging cost of the same CPU (<c>vmm.nestedPagingOverhead</c>) and
    /// <see cref="ExitsPerOp"/> instead.</summary>
    public double CpuOverhead { get; set; } = 0.10;

    /// <summary>Exits per workload operation that crosses the guest's emulated NIC: a YCSB operation's
    /// request comes in and its reply goes out, each packet a kick or an interrupt to QEMU.</summary>
    public int ExitsPerOp { get; set; } = 4;

    /// <summary>QEMU start and the guest's virtual firmware (SeaBIOS) before the guest OS boots.</summary>
    public double GuestFirmwareSeconds { get; set; } = 3;

    internal void Validate()
    {
        Check.Range("kvm.exitUs", ExitUs, 0, 1e6);
        Check.Range("kvm.exitsPerIo", ExitsPerIo, 0, 10_000);
        Check.Range("kvm.copyGBps", CopyGBps, 0.001, 1e4);
        Check.Range("kvm.cpuOverhead", CpuOverhead, 0, 10);
        Check.Range("kvm.exitsPerOp", ExitsPerOp, 0, 10_000);
        Check.Range("kvm.guestFirmwareSeconds", GuestFirmwareSeconds, 0, 1e5);
    }
}

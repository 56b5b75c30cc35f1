namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>The de-virtualizable VMM: the cost of trapping, nested paging, and how the background
/// copy moves the image.</summary>
public sealed class VmmSpec
{
    /// <summary>One VM exit and resume for a trapped MMIO access (exit, decode, emulate, VMRESUME).</summary>
    public double VmExitUs { get; set; } = 2;

    /// <summary>Extra CPU time under nested paging (EPT walks, TLB misses) while virtualized.</summary>
    public double NestedPagingOverhead { get; set; } = 0.05;

    /// <summary>Size of one background-copy request to the server and one local write.</summary>
    public int CopyChunkKiB { get; set; } = 1024;

    /// <summary>Server fetches the copy keeps in flight.</summary>
    public int CopyOutstanding { get; set; } = 1;

    /// <summary>Stop interception, disable EPT, VMXOFF: the handoff itself.</summary>
    public double DevirtualizeUs { get; set; } = 500;

    /// <summary>Which AHCI mediator the VMM runs: the hand-written one, or the one generated from
    /// specs/ahci.mspec by the spec compiler (through Generated/GeneratedAhciMediator).</summary>
    public string Mediator { get; set; } = HandWritten;

    public const string HandWritten = "hand-written";

    public const string GeneratedAhci = "generated-ahci";


    internal void Validate()
    {
        Check.Range("vmm.vmExitUs", VmExitUs, 0, 1e6);
        Check.Range("vmm.nestedPagingOverhead", NestedPagingOverhead, 0, 10);
        Check.Range("vmm.copyChunkKiB", CopyChunkKiB, 4, 1 << 20);
        Check.Range("vmm.copyOutstanding", CopyOutstanding, 1, 64);
        Check.Range("vmm.devirtualizeUs", DevirtualizeUs, 0, 1e9);
        if (Mediator is not (HandWritten or GeneratedAhci))
        {
            throw new ScenarioException($"vmm.mediator = '{Mediator}' must be '{HandWritten}' or '{GeneratedAhci}'");
        }

        if (CopyChunkKiB % 4 != 0 || CopyChunkKiB > 4096)
        {
            throw new ScenarioException($"vmm.copyChunkKiB = {CopyChunkKiB} must be a multiple of 4 KiB, at most 4096 (one AHCI command)");
        }
    }
}

namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>The synthetic OS boot trace: <see cref="Files"/> files scattered over the first
/// <see cref="RegionGiB"/> of the image, read in requests of 4 KiB multiples adding up to
/// <see cref="WorkingSetMB"/>, with CPU think time between requests and a few small writes.</summary>
public sealed class BootSpec
{
    public double WorkingSetMB { get; set; } = 140;

    public int Files { get; set; } = 800;

    public int Reads { get; set; } = 5000;

    public int Writes { get; set; } = 300;

    public double RegionGiB { get; set; } = 8;

    /// <summary>CPU time of the boot on bare metal (init, services), spread over the requests.</summary>
    public double ThinkSeconds { get; set; } = 21;

    internal void Validate()
    {
        Check.Range("boot.workingSetMB", WorkingSetMB, 0.004, 1e6);
        Check.Range("boot.files", Files, 1, 10_000_000);
        Check.Range("boot.reads", Reads, Files, 10_000_000);
        Check.Range("boot.writes", Writes, 0, 10_000_000);
        Check.Range("boot.regionGiB", RegionGiB, 0.001, 1e5);
        Check.Range("boot.thinkSeconds", ThinkSeconds, 0, 1e6);
    }
}

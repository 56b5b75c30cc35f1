namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>NFS root: file-level access, so every file the boot opens costs metadata round trips
/// (LOOKUP per path component, GETATTR, ACCESS) before its data.</summary>
public sealed class NfsSpec
{
    public int RoundTripsPerFile { get; set; } = 6;

    /// <summary>Largest READ the client sends (rsize).</summary>
    public int RsizeKiB { get; set; } = 1024;

    internal void Validate()
    {
        Check.Range("nfs.roundTripsPerFile", RoundTripsPerFile, 0, 1000);
        Check.Range("nfs.rsizeKiB", RsizeKiB, 4, 1 << 20);
    }
}

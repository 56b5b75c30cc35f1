namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>A SATA disk behind the AHCI HBA: an HDD (seek curve, rotation, media rate) or an SSD.</summary>
public sealed class DiskSpec
{
    /// <summary>"hdd" or "ssd".</summary>
    public string Kind { get; set; } = "hdd";

    public double CapacityGB { get; set; } = 500;

    public double Rpm { get; set; } = 7200;

    /// <summary>Sustained media rates, MB/s (10^6 bytes).</summary>
    public double ReadMBps { get; set; } = 117;

    public double WriteMBps { get; set; } = 115;

    /// <summary>Seek curve: track-to-track, average (one third of the stroke) and full stroke.</summary>
    public double TrackToTrackMs { get; set; } = 0.8;

    public double AverageSeekMs { get; set; } = 8.5;

    public double FullStrokeMs { get; set; } = 17;

    /// <summary>SSD only: command latency on top of the transfer.</summary>
    public double SsdReadLatencyUs { get; set; } = 80;

    public double SsdWriteLatencyUs { get; set; } = 30;

    /// <summary>Controller overhead per command (both kinds).</summary>
    public double CommandOverheadUs { get; set; } = 50;

    internal void Validate(string where)
    {
        Check.OneOf($"{where}.kind", Kind, "hdd", "ssd");
        Check.Range($"{where}.capacityGB", CapacityGB, 0.001, 1e6);
        Check.Range($"{where}.rpm", Rpm, 1000, 20000);
        Check.Range($"{where}.readMBps", ReadMBps, 1, 1e5);
        Check.Range($"{where}.writeMBps", WriteMBps, 1, 1e5);
        Check.Range($"{where}.trackToTrackMs", TrackToTrackMs, 0, 100);
        Check.Range($"{where}.averageSeekMs", AverageSeekMs, TrackToTrackMs, 100);
        Check.Range($"{where}.fullStrokeMs", FullStrokeMs, AverageSeekMs, 200);
        Check.Range($"{where}.ssdReadLatencyUs", SsdReadLatencyUs, 0, 1e6);
        Check.Range($"{where}.ssdWriteLatencyUs", SsdWriteLatencyUs, 0, 1e6);
        Check.Range($"{where}.commandOverheadUs", CommandOverheadUs, 0, 1e6);
    }
}

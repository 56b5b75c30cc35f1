namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>Everything one simulation needs, as read from a scenario YAML file. Defaults are the
/// seed's testbed (003: 32 GB image, GbE, 7200 rpm SATA HDD).</summary>
public sealed class Scenario
{
    /// <summary>Every strategy the simulator knows, in chart order.</summary>
    public static readonly IReadOnlyList<string> AllStrategies = ["bare-metal", "image-copy", "vmm", "nfs-root", "kvm-nfs", "kvm-local", "vmm-prefetch"];

    public string Name { get; set; } = "unnamed";

    public string Description { get; set; } = "";

    public ulong Seed { get; set; } = 1;

    public double ImageGiB { get; set; } = 32;

    /// <summary>Simulated time covered by the throughput timeline.</summary>
    public double HorizonSeconds { get; set; } = 1300;

    /// <summary>Width of one throughput-timeline bucket.</summary>
    public double BucketSeconds { get; set; } = 10;

    /// <summary>Model block contents as version numbers and check every read (slower; tests).</summary>
    public bool TrackContents { get; set; }

    public List<string> Strategies { get; set; } = [.. AllStrategies];

    public NodeSpec Node { get; set; } = new();

    public ServerSpec Server { get; set; } = new();

    public BootSpec Boot { get; set; } = new();

    public WorkloadSpec Workload { get; set; } = new();

    public VmmSpec Vmm { get; set; } = new();

    public KvmSpec Kvm { get; set; } = new();

    public NfsSpec Nfs { get; set; } = new();

    public PrefetchSpec Prefetch { get; set; } = new();

    internal long ImageBytes => checked((long)(ImageGiB * (1L << 30)));

    /// <summary>Checks every value; throws <see cref="ScenarioException"/> naming the first bad key.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name) || Name.Length > 64)
        {
            throw new ScenarioException("name must be 1-64 characters");
        }

        Check.Range("imageGiB", ImageGiB, 0.001, 1e5);
        Check.Range("horizonSeconds", HorizonSeconds, 0.001, 1e7);
        Check.Range("bucketSeconds", BucketSeconds, 0.001, HorizonSeconds);
        if (HorizonSeconds / BucketSeconds > 100_000)
        {
            throw new ScenarioException("horizonSeconds / bucketSeconds must be at most 100000 buckets");
        }

        if (Strategies is null || Strategies.Count == 0)
        {
            throw new ScenarioException("strategies must list at least one strategy");
        }

        foreach (var s in Strategies)
        {
            Check.OneOf("strategies[]", s, [.. AllStrategies]);
        }

        if (Node is null || Server is null || Boot is null || Workload is null || Vmm is null || Kvm is null || Nfs is null || Prefetch is null)
        {
            throw new ScenarioException("a section (node, server, boot, workload, vmm, kvm, nfs, prefetch) is empty");
        }

        Node.Validate();
        Server.Validate();
        Boot.Validate();
        Workload.Validate();
        Vmm.Validate();
        Kvm.Validate();
        Nfs.Validate();
        Prefetch.Validate();
        if (Node.Disk.CapacityGB * 1e9 < ImageBytes)
        {
            throw new ScenarioException($"node.disk.capacityGB = {Node.Disk.CapacityGB} is smaller than imageGiB = {ImageGiB}");
        }

        if (Boot.RegionGiB > ImageGiB)
        {
            throw new ScenarioException($"boot.regionGiB = {Boot.RegionGiB} must fit in imageGiB = {ImageGiB}");
        }

        if (Workload.Kind.StartsWith("fio", StringComparison.Ordinal) && Workload.SpanGiB > ImageGiB)
        {
            throw new ScenarioException($"workload.spanGiB = {Workload.SpanGiB} must fit in imageGiB = {ImageGiB}");
        }

        if (Workload.Kind == "ycsb" && Workload.TableGiB > ImageGiB)
        {
            throw new ScenarioException($"workload.tableGiB = {Workload.TableGiB} must fit in imageGiB = {ImageGiB}");
        }

        if (TrackContents && ImageBytes / 4096 > 16_000_000)
        {
            throw new ScenarioException("trackContents needs imageGiB below 61 (16M blocks of 4 KiB)");
        }
    }
}

namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>What the guest runs once the OS is up: an fio-like job or a Cassandra/YCSB-like
/// key-value load. Its throughput, compared with a bare-metal run, is the timeline.</summary>
public sealed class WorkloadSpec
{
    /// <summary>fio-seq-read, fio-seq-write, fio-rand-read, fio-rand-write, ycsb, idle.</summary>
    public string Kind { get; set; } = "ycsb";

    /// <summary>fio: request size.</summary>
    public int BlockKiB { get; set; } = 1024;

    /// <summary>Requests kept outstanding (fio iodepth; YCSB client threads).</summary>
    public int QueueDepth { get; set; } = 1;

    /// <summary>fio: span of the disk the job touches.</summary>
    public double SpanGiB { get; set; } = 4;

    /// <summary>YCSB: size of the table on disk, one SSTable read per row miss.</summary>
    public double TableGiB { get; set; } = 8;

    /// <summary>YCSB: share of operations that are reads (workload A is 0.5, B 0.95).</summary>
    public double ReadFraction { get; set; } = 0.95;

    /// <summary>YCSB: share of reads served by Cassandra's row and key caches (no disk I/O).</summary>
    public double CacheHitFraction { get; set; } = 0.6;

    /// <summary>YCSB: exponent of the Zipf law of key popularity (YCSB's default request distribution
    /// is zipfian with 0.99); 0 = uniform.</summary>
    public double ZipfianTheta { get; set; }

    /// <summary>YCSB: guest memory left for the OS page cache. A table block read once stays cached
    /// (up to this size, without eviction), so a later read of it needs no disk I/O. 0 = no page cache.</summary>
    public double PageCacheGiB { get; set; }

    /// <summary>YCSB: Cassandra's commit log in periodic mode: an update is acknowledged once it is
    /// in memory, and the log is written out every this many seconds. 0 = each update waits for its
    /// own log write (batch mode).</summary>
    public double CommitLogSyncSeconds { get; set; }

    /// <summary>YCSB: bytes read from disk for a row that is not cached: one SSTable chunk (Cassandra
    /// reads and decompresses a whole compression chunk, 64 KiB by default; 4 = uncompressed 4 KiB pages).</summary>
    public int ReadKiB { get; set; } = 4;

    /// <summary>YCSB: CPU per operation on bare metal.</summary>
    public double CpuUsPerOp { get; set; } = 400;

    internal void Validate()
    {
        Check.OneOf("workload.kind", Kind, "fio-seq-read", "fio-seq-write", "fio-rand-read", "fio-rand-write", "ycsb", "idle");
        Check.Range("workload.blockKiB", BlockKiB, 4, 4096);
        if (BlockKiB % 4 != 0)
        {
            throw new ScenarioException($"workload.blockKiB = {BlockKiB} must be a multiple of 4 (the guest does page-sized I/O)");
        }

        Check.Range("workload.queueDepth", QueueDepth, 1, 32);
        Check.Range("workload.spanGiB", SpanGiB, 1e-6, 1e5);
        Check.Range("workload.tableGiB", TableGiB, 1e-6, 1e5);
        Check.Range("workload.readFraction", ReadFraction, 0, 1);
        Check.Range("workload.cacheHitFraction", CacheHitFraction, 0, 1);
        Check.Range("workload.cpuUsPerOp", CpuUsPerOp, 0, 1e7);
        Check.Range("workload.readKiB", ReadKiB, 4, 4096);
        if (ReadKiB % 4 != 0)
        {
            throw new ScenarioException($"workload.readKiB = {ReadKiB} must be a multiple of 4 (the guest does page-sized I/O)");
        }

        Check.Range("workload.zipfianTheta", ZipfianTheta, 0, 0.9999);
        Check.Range("workload.pageCacheGiB", PageCacheGiB, 0, 1e5);
        Check.Range("workload.commitLogSyncSeconds", CommitLogSyncSeconds, 0, 3600);
    }
}

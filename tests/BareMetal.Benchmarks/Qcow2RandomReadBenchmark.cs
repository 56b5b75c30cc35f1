using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BenchmarkDotNet.Attributes;

namespace BareMetal.Benchmarks;

/// <summary>
/// 4 KiB random reads through a 256 MiB fully-allocated qcow2 (64 KiB clusters) sitting in the page
/// cache: measures the L1/L2 lookup + cache + pread path. One operation = 1000 reads, so
/// IOPS = 1000 / (mean time per op). Target: at least 100k IOPS.
/// dotnet run -c Release --project tests/BareMetal.Benchmarks -- --filter '*Qcow2RandomRead*'
/// </summary>
[MemoryDiagnoser]
public class Qcow2RandomReadBenchmark
{
    private const long Size = 256L << 20;
    private const int ReadsPerOp = 1000;
    private string _dir = "";
    private VirtualDisk _disk = null!;
    private long[] _offsets = [];
    private readonly byte[] _buffer = new byte[4096];

    [Params(65536, 4096)]
    public int ClusterSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "bm-qcow2-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        var path = Path.Combine(_dir, "bench.qcow2");
        var chunk = new byte[4 << 20];
        new Random(1).NextBytes(chunk);
        using (var w = Qcow2Writer.Create(path, Size, ClusterSize))
        {
            for (long pos = 0; pos < Size; pos += chunk.Length)
            {
                w.Write(pos, chunk);
            }
            w.Flush();
        }
        _disk = DiskImage.Open(path);
        var rng = new Random(2);
        _offsets = Enumerable.Range(0, ReadsPerOp).Select(_ => rng.NextInt64(Size / 4096) * 4096).ToArray();
        // Warm the page cache and the L2 cache.
        var buf = new byte[1 << 20];
        for (long pos = 0; pos < Size; pos += buf.Length)
        {
            _disk.Read(pos, buf);
        }
    }

    [Benchmark(OperationsPerInvoke = ReadsPerOp)]
    public void RandomRead4K()
    {
        var disk = _disk;
        foreach (var off in _offsets)
        {
            disk.Read(off, _buffer);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _disk.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

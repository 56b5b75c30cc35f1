using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Raw;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Session;
using BareMetal.ImageStore.Nbd.Wire;
using BenchmarkDotNet.Attributes;

namespace BareMetal.Benchmarks;

/// <summary>
/// The per-request cost of the NBD session without sockets: validate, read, build the reply.
/// dotnet run -c Release --project tests/BareMetal.Benchmarks -- --filter '*NbdTransmission*'
/// </summary>
[MemoryDiagnoser]
public class NbdTransmissionBenchmarks
{
    private string _path = "";
    private NbdExport _export = null!;
    private NbdTransmission _simple = null!;
    private NbdTransmission _structured = null!;
    private long _offset;

    [Params(4096, 262144)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), $"nbd-bench-{Guid.NewGuid():N}.raw");
        var data = new byte[64 << 20];
        Random.Shared.NextBytes(data);
        File.WriteAllBytes(_path, data);
        _export = new NbdExport("bench", new RawDisk(FileSource.Open(_path), ImageFormat.Raw), readOnly: true);
        _simple = new NbdTransmission(_export, false, false, true);
        _structured = new NbdTransmission(_export, true, true, true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _export.Disk.Dispose();
        File.Delete(_path);
    }

    private NbdRequest Next()
    {
        _offset = (_offset + 1048576) % ((64 << 20) - Size);
        _offset -= _offset % 4096;
        return new NbdRequest(0, NbdProtocol.CmdRead, 1, (ulong)_offset, (uint)Size);
    }

    [Benchmark(Baseline = true)]
    public int ReadSimple()
    {
        using var r = _simple.Execute(Next(), [])!;
        return r.Length;
    }

    [Benchmark]
    public int ReadStructured()
    {
        using var r = _structured.Execute(Next(), [])!;
        return r.Length;
    }

    [Benchmark]
    public int BlockStatus()
    {
        using var r = _structured.Execute(new NbdRequest(0, NbdProtocol.CmdBlockStatus, 1, 0, 32 << 20), [])!;
        return r.Length;
    }
}

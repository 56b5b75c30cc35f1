using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using BareMetal.ImageStore.Nbd.Client;
using BareMetal.MediatorModel.Simulation.Ahci;

namespace BareMetal.MediatorModel.Simulation.Real;

/// <summary>
/// Real-network mode: the simulated node's redirected reads and background copy read real blocks from
/// an NBD server, and everything the model writes to its disk (copy runs and the guest's writes) is
/// written to a real local file at the moment the model's disk completes it, so the file ends as the
/// model's disk does. Simulated time still runs on the model; this class counts real bytes and wall time.
/// A guest write's content is a pure function of the seed and the write's version tag
/// (<see cref="FillGuestBlock"/>), so anyone can recompute the expected file.
/// Real requests are started when the model sends the fetch and waited for when the model delivers it,
/// so the real transfers overlap as the modelled ones do.
/// </summary>
public sealed class RealNetworkMode : IDisposable
{
    private readonly NbdClient _client;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _disk;
    private readonly TextWriter? _progress;
    private readonly Stopwatch _wall = new();
    private readonly Dictionary<int, (long Offset, byte[] Data, Task Read)> _buffers = [];
    private readonly byte[] _block = new byte[GuestMemory.PageBytes];
    private (Task Read, byte[] Data)? _redirect;
    private TimeSpan _lastProgress;

    public RealNetworkMode(NbdClient client, string diskPath, TextWriter? progress = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _progress = progress;
        DiskPath = diskPath;
        _disk = File.OpenHandle(diskPath, FileMode.Create, FileAccess.ReadWrite, FileShare.Read);
        RandomAccess.SetLength(_disk, ImageBytes);
    }

    public string DiskPath { get; }

    /// <summary>The run's seed, which guest-write contents derive from (set when the run starts).</summary>
    public ulong ContentSeed { get; internal set; }

    /// <summary>After the run: what the guest believes each 4 KiB block holds: a positive tag t is image
    /// block t - 1 (unchanged), a negative tag is the guest write filled by <see cref="FillGuestBlock"/>.</summary>
    public IReadOnlyList<long> GuestView { get; internal set; } = [];

    /// <summary>Whole 4 KiB blocks of the export: the simulated image.</summary>
    public long ImageBytes => _client.Size / GuestMemory.PageBytes * GuestMemory.PageBytes;

    /// <summary>Bytes read from the NBD server (redirected reads and copy chunks).</summary>
    public long NetworkBytes => _client.BytesRead;

    public long DiskBytesWritten { get; private set; }

    public long GuestBlocksWritten { get; private set; }

    public TimeSpan Wall => _wall.Elapsed;

    /// <summary>The content a guest write with version tag <paramref name="tag"/> (negative) leaves in
    /// a 4 KiB block: the 8-byte little-endian value (seed xor -tag) * 0x9E3779B97F4A7C15, repeated.</summary>
    public static void FillGuestBlock(Span<byte> block, ulong seed, long tag)
    {
        var v = unchecked((seed ^ (ulong)-tag) * 0x9E3779B97F4A7C15UL);
        for (var i = 0; i + 8 <= block.Length; i += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(block[i..], v);
        }
    }

    /// <summary>SHA-256 of the local disk file, lower-case hex.</summary>
    public string DiskSha256()
    {
        using var f = new FileStream(DiskPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }

    public void Dispose() => _disk.Dispose();

    internal void Start() => _wall.Start();

    internal void Stop()
    {
        _wall.Stop();
        RandomAccess.FlushToDisk(_disk);
    }

    /// <summary>The model sent a copy fetch into VMM buffer <paramref name="buffer"/>.</summary>
    internal void BeginFetch(int buffer, long offset, int bytes)
    {
        var data = _buffers.TryGetValue(buffer, out var b) && b.Data.Length >= bytes ? b.Data : new byte[bytes];
        _buffers[buffer] = (offset, data, _client.ReadAsync(offset, data.AsMemory(0, bytes)));
    }

    /// <summary>The model delivered that fetch: the real bytes must be here now.</summary>
    internal void EndFetch(int buffer) => Wait(_buffers[buffer].Read);

    internal void BeginRedirect(long offset, long bytes)
    {
        var data = new byte[bytes];
        _redirect = (_client.ReadAsync(offset, data), data);
    }

    internal void EndRedirect()
    {
        if (_redirect is { } r)
        {
            Wait(r.Read);
            _redirect = null;
        }
    }

    /// <summary>The model's disk completed a write from <paramref name="buffer"/>: a VMM copy buffer
    /// (real image bytes) or a guest buffer (content from its pages' version tags).</summary>
    internal void OnDiskWrite(GuestMemory memory, long offset, long bytes, long buffer, long simNow)
    {
        var firstVmm = GuestMemory.VmmBuffer(0);
        if (buffer >= firstVmm)
        {
            var index = (int)((buffer - firstVmm) / AhciBits.MaxCommandBytes);
            var (fetchOffset, data, _) = _buffers[index];
            var within = (int)(offset - fetchOffset);
            RandomAccess.Write(_disk, data.AsSpan(within, (int)bytes), offset);
        }
        else
        {
            var pages = memory.Pages(buffer, (int)(bytes / GuestMemory.PageBytes));
            for (var i = 0; i < pages.Length; i++)
            {
                FillGuestBlock(_block, ContentSeed, pages[i]);
                RandomAccess.Write(_disk, _block, offset + ((long)i * GuestMemory.PageBytes));
            }

            GuestBlocksWritten += pages.Length;
        }

        DiskBytesWritten += bytes;
        if (_progress is not null && _wall.Elapsed - _lastProgress >= TimeSpan.FromSeconds(2))
        {
            _lastProgress = _wall.Elapsed;
            _progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"sim t={simNow / 1e9:F1} s  wall {_wall.Elapsed.TotalSeconds:F1} s  read {NetworkBytes / 1048576.0:F1} MiB from the server, wrote {DiskBytesWritten / 1048576.0:F1} MiB of {ImageBytes / 1048576.0:F0} MiB to {DiskPath}"));
        }
    }

    private static void Wait(Task t)
    {
        try
        {
            t.GetAwaiter().GetResult();
        }
        catch (NbdClientException e)
        {
            throw new RealNetworkException($"real-network mode: {e.Message}", e);
        }
    }
}

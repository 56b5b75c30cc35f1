using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace BareMetal.Pxe.Dhcp.Leases;

/// <summary>
/// Leases in <c>{dataDirectory}/dhcp-leases.json</c>. Writes go to a temporary file that is flushed and
/// renamed over the old one, so a crash leaves either the old or the new set.
/// </summary>
public sealed class JsonFileLeaseStore : ILeaseStore
{
    public const string FileName = "dhcp-leases.json";

    /// <summary>A lease file larger than this is not ours (a lab pool holds a few thousand leases at most).</summary>
    public const long MaxFileBytes = 64L * 1024 * 1024;

    private readonly Lock _gate = new();

    public JsonFileLeaseStore(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        FilePath = Path.Combine(dataDirectory, FileName);
    }

    public string FilePath { get; }

    public IReadOnlyList<DhcpLease> Load()
    {
        lock (_gate)
        {
            if (!File.Exists(FilePath))
            {
                return [];
            }
            var info = new FileInfo(FilePath);
            if (info.Length > MaxFileBytes)
            {
                throw new InvalidDataException($"{FilePath}: {info.Length} bytes exceeds {MaxFileBytes}");
            }
            LeaseFile? doc;
            try
            {
                doc = JsonSerializer.Deserialize(File.ReadAllBytes(FilePath), LeaseJsonContext.Default.LeaseFile);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{FilePath}: not a lease file: {e.Message}", e);
            }
            if (doc is null || doc.Version != LeaseFile.CurrentVersion)
            {
                throw new InvalidDataException($"{FilePath}: unsupported lease file version {doc?.Version}");
            }
            var leases = new List<DhcpLease>(doc.Leases.Count);
            foreach (var r in doc.Leases)
            {
                if (!IPAddress.TryParse(r.Address, out var a) || a.AddressFamily != AddressFamily.InterNetwork || !Enum.IsDefined(r.State))
                {
                    throw new InvalidDataException($"{FilePath}: bad lease record {r.Mac} {r.Address} {r.State}");
                }
                leases.Add(new DhcpLease(r.Mac, a, r.ExpiresAt, r.State, r.HostName));
            }
            return leases;
        }
    }

    public void Save(IReadOnlyList<DhcpLease> leases)
    {
        ArgumentNullException.ThrowIfNull(leases);
        var doc = new LeaseFile();
        foreach (var l in leases)
        {
            doc.Leases.Add(new LeaseRecord { Mac = l.Mac, Address = l.Address.ToString(), ExpiresAt = l.ExpiresAt, State = l.State, HostName = l.HostName });
        }
        var bytes = JsonSerializer.SerializeToUtf8Bytes(doc, LeaseJsonContext.Default.LeaseFile);
        lock (_gate)
        {
            var temp = FilePath + ".tmp";
            using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                f.Write(bytes);
                f.Flush(flushToDisk: true);
            }
            File.Move(temp, FilePath, overwrite: true);
        }
    }
}

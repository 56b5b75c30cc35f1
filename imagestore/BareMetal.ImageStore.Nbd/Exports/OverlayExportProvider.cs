using System.Buffers;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.ImageStore.Formats.Raw;

namespace BareMetal.ImageStore.Nbd.Exports;

/// <summary>
/// Base images exported read-only under their names, and a copy-on-write overlay per client identity:
/// "image@node-aa-bb-cc" is image seen through its own qcow2 overlay whose backing file is the base
/// (so qemu-img can read it too). The base is never written. Overlays live in one directory, survive
/// reconnects and restarts (FLUSH makes them durable), and can be reset or committed into a new image.
/// </summary>
public sealed class OverlayExportProvider : IExportProvider, IDisposable
{
    /// <summary>Separates base name and client identity in an export name.</summary>
    public const char IdentitySeparator = '@';

    /// <summary>Cluster size of new overlays (qemu's default).</summary>
    public const int OverlayClusterSize = 65536;

    /// <summary>Longest export name that may create an overlay file (file names stay well under 255 bytes).</summary>
    public const int MaxOverlayName = 200;

    /// <summary>Starts the file name of a commit's temporary output kept beside the overlays.</summary>
    public const string CommitPrefix = ".commit-";

    /// <summary>A creation takes milliseconds; a temporary file this old belongs to no live process.</summary>
    public static readonly TimeSpan StaleCreation = TimeSpan.FromMinutes(1);

    private readonly string _overlayDirectory;
    private readonly Dictionary<string, (string Path, string? Description)> _bases = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NbdExport> _open = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public OverlayExportProvider(string overlayDirectory)
    {
        ArgumentNullException.ThrowIfNull(overlayDirectory);
        _overlayDirectory = Path.GetFullPath(overlayDirectory);
        Directory.CreateDirectory(_overlayDirectory);
        SweepKilledCreations(_overlayDirectory, DateTime.UtcNow - StaleCreation);
    }

    /// <summary>
    /// Deletes the temporary files of overlay creations and commits killed half-way (kill -9 during a
    /// node's first connection, or while committing) last written before <paramref name="olderThan"/>;
    /// returns how many went.
    /// </summary>
    public static int SweepKilledCreations(string overlayDirectory, DateTime olderThan)
    {
        var removed = 0;
        var leftovers = Directory.EnumerateFiles(overlayDirectory, "*" + Qcow2Writer.CreatingSuffix)
            .Concat(Directory.EnumerateFiles(overlayDirectory, CommitPrefix + "*"));
        foreach (var file in leftovers.Distinct(StringComparer.Ordinal).ToList())
        {
            try
            {
                if (File.GetLastWriteTimeUtc(file) < olderThan)
                {
                    File.Delete(file);
                    removed++;
                }
            }
            catch (IOException)
            {
            }
        }
        return removed;
    }

    /// <summary>Registers a base image (any format we read) under a name without '@'.</summary>
    public void AddBase(string name, string path, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Contains(IdentitySeparator, StringComparison.Ordinal) || !IsSafeName(name))
        {
            throw new ArgumentException($"base name '{name}' must be letters, digits, '.', '_' or '-'", nameof(name));
        }
        lock (_lock)
        {
            _bases[name] = (Path.GetFullPath(path), description);
        }
    }

    public IReadOnlyList<ExportListing> List()
    {
        lock (_lock)
        {
            return [.. _bases.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => new ExportListing(b.Key, b.Value.Description))];
        }
    }

    public NbdExport? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_lock)
        {
            if (_open.TryGetValue(name, out var open))
            {
                return open;
            }
            var at = name.IndexOf(IdentitySeparator, StringComparison.Ordinal);
            var baseName = at < 0 ? name : name[..at];
            if (!_bases.TryGetValue(baseName, out var b))
            {
                return null;
            }
            NbdExport export;
            if (at < 0)
            {
                export = new NbdExport(name, DiskImage.Open(b.Path), readOnly: true, b.Description);
            }
            else
            {
                if (name.Length > MaxOverlayName || !IsSafeName(name[(at + 1)..]))
                {
                    return null;
                }
                export = new NbdExport(name, OpenOverlay(OverlayPath(name), b.Path), readOnly: false, b.Description);
            }
            _open[name] = export;
            return export;
        }
    }

    /// <summary>Where the overlay of a per-client export name lives.</summary>
    public string OverlayPath(string exportName) => Path.Combine(_overlayDirectory, exportName + ".qcow2");

    /// <summary>
    /// Opens a client's overlay, creating it over the base on first use. An overlay is always qcow2 and
    /// is opened as such, never probed: probing would turn a damaged overlay into a raw disk of whatever
    /// its bytes are. An empty file is what an older build left when killed while creating one (before
    /// <see cref="Qcow2Writer.Create"/> built under a temporary name): nothing the client wrote can be
    /// in it, so it is created afresh.
    /// </summary>
    private static VirtualDisk OpenOverlay(string overlayPath, string basePath)
    {
        var existing = new FileInfo(overlayPath);
        if (existing.Exists && existing.Length > 0)
        {
            return DiskImage.Open(overlayPath, new OpenOptions { Writable = true, Format = ImageFormat.Qcow2 });
        }
        ImageFormat baseFormat;
        long baseLength;
        using (var baseDisk = DiskImage.Open(basePath))
        {
            baseFormat = baseDisk.Format == ImageFormat.Iso ? ImageFormat.Raw : baseDisk.Format;
            baseLength = baseDisk.Length;
        }
        return Qcow2Writer.Create(overlayPath, baseLength, OverlayClusterSize, backingFile: basePath, backingFormat: baseFormat);
    }

    /// <summary>
    /// Throws away a client's overlay: its open connections are closed (after the requests they are
    /// running finish) and its next connection starts again from the base.
    /// </summary>
    public bool Reset(string exportName)
    {
        ArgumentNullException.ThrowIfNull(exportName);
        lock (_lock)
        {
            if (!exportName.Contains(IdentitySeparator, StringComparison.Ordinal))
            {
                throw new ArgumentException($"'{exportName}' is a base export, not a client overlay", nameof(exportName));
            }
            if (_open.Remove(exportName, out var open))
            {
                open.Close();
                open.Disk.Dispose();
            }
            var path = OverlayPath(exportName);
            if (!File.Exists(path))
            {
                return false;
            }
            File.Delete(path);
            return true;
        }
    }

    /// <summary>
    /// Flattens what an export shows (overlay over base) into a new standalone image at
    /// <paramref name="destination"/> (raw or qcow2). Zero ranges are skipped, so the result stays sparse.
    /// Writes to the export are held (and what came before flushed) for the whole copy, so the image is
    /// one moment of the disk; reads go on. Written to a temporary name and renamed, so a crash never
    /// leaves a half image under the final name.
    /// </summary>
    public void Commit(string exportName, string destination, ImageFormat format = ImageFormat.Raw, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var export = Find(exportName) ?? throw new ArgumentException($"no export '{exportName}'", nameof(exportName));
        using var hold = export.HoldWrites();
        var source = export.Disk;
        var part = destination + ".part";
        VirtualDisk dest;
        if (format == ImageFormat.Qcow2)
        {
            dest = Qcow2Writer.Create(part, source.Length, OverlayClusterSize);
        }
        else if (format == ImageFormat.Raw)
        {
            var file = FileSource.Create(part);
            file.SetLength(source.Length);
            dest = new RawDisk(file, ImageFormat.Raw, writable: true);
        }
        else
        {
            throw new ArgumentException($"commit writes raw or qcow2, not {format}", nameof(format));
        }
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            using (dest)
            {
                source.Flush();
                foreach (var e in source.Map())
                {
                    if (e.Zero)
                    {
                        continue;
                    }
                    for (var pos = e.Start; pos < e.End;)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        // A reset wins: it waits (holding the provider's lock) until this copy lets go.
                        ObjectDisposedException.ThrowIf(export.IsClosed, export);
                        var n = (int)Math.Min(buffer.Length, e.End - pos);
                        source.Read(pos, buffer.AsSpan(0, n));
                        dest.Write(pos, buffer.AsSpan(0, n));
                        pos += n;
                    }
                }
                dest.Flush();
            }
            File.Move(part, destination, overwrite: true);
        }
        catch
        {
            File.Delete(part);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsSafeName(string s) =>
        s.Length > 0 && s[0] != '.' && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var e in _open.Values)
            {
                e.Disk.Dispose();
            }
            _open.Clear();
        }
    }
}

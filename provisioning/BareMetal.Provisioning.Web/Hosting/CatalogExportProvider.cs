using System.Collections.Concurrent;
using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Nbd.Exports;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// The block service's exports, from the catalog: each ready image version as "name.vN", its newest
/// version also as plain "name", and per node "name.vN@525400123456" through that node's copy-on-write
/// overlay (data/overlays). Image files dropped into data/images by hand (not catalog-named) are still
/// exported under their file name, as before the catalog, until someone imports them.
/// Deleted images disappear at once (connections already open keep their file handle).
/// </summary>
public sealed class CatalogExportProvider : IExportProvider, IDisposable
{
    private readonly OverlayExportProvider _overlays;
    private readonly string _imagesDirectory;
    private readonly Lock _lock = new();
    private HashSet<string> _live = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, NbdExport> _nodeExports = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeployWatch> _deployWatches = new(StringComparer.Ordinal);

    public CatalogExportProvider(string overlaysDirectory, string imagesDirectory)
    {
        _overlays = new OverlayExportProvider(overlaysDirectory);
        _imagesDirectory = imagesDirectory;
    }

    /// <summary>
    /// Deploy-mode nodes whose reads of a base export are their copy (MAC -> export and client address),
    /// for progress reporting. Base exports are shared by every node, so only the client address tells one
    /// node's reads from another's: the address its deploy script went to.
    /// </summary>
    public IEnumerable<KeyValuePair<string, DeployWatch>> DeployWatches => _deployWatches;

    /// <summary>
    /// Starts (or restarts) following <paramref name="mac"/>'s copy of <paramref name="exportName"/>: what
    /// that address read before no longer counts, so a second deploy starts again from 0 %.
    /// </summary>
    public void WatchDeploy(string mac, string exportName, string? clientAddress)
    {
        ArgumentNullException.ThrowIfNull(mac);
        ArgumentNullException.ThrowIfNull(exportName);
        if (clientAddress is null)
        {
            return;
        }
        Find(exportName)?.Counters.ForgetClient(clientAddress);
        _deployWatches[mac] = new DeployWatch(exportName, clientAddress);
    }

    /// <summary>The node's deploy ended: its reads are no longer a copy.</summary>
    public void StopWatching(string mac) => _deployWatches.TryRemove(mac, out _);

    /// <summary>Per-node exports opened so far (export name -> export), for progress reporting.</summary>
    public IEnumerable<KeyValuePair<string, NbdExport>> NodeExports => _nodeExports;

    /// <summary>
    /// Every export with its counters, by name: each listed (base) export, opened here if no client has
    /// opened it yet (read-only, so that costs a file handle and nothing else), and each per-node export
    /// a node has opened. Per-node exports are never opened by asking: that would create an overlay.
    /// </summary>
    public IReadOnlyList<NbdExport> Served()
    {
        var served = new Dictionary<string, NbdExport>(StringComparer.Ordinal);
        foreach (var listing in List())
        {
            try
            {
                if (Find(listing.Name) is { } export)
                {
                    served[export.Name] = export;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A file that no client could open either (damaged, gone, unreadable): it has no counters.
            }
        }
        foreach (var (name, export) in _nodeExports)
        {
            var baseName = name[..name.IndexOf(OverlayExportProvider.IdentitySeparator, StringComparison.Ordinal)];
            bool live;
            lock (_lock)
            {
                live = _live.Contains(baseName);
            }
            if (live)
            {
                served[name] = export;
            }
        }
        return [.. served.Values.OrderBy(e => e.Name, StringComparer.Ordinal)];
    }

    /// <summary>Where a per-node export's overlay lives.</summary>
    public string OverlayPath(string exportName) => _overlays.OverlayPath(exportName);

    /// <summary>Rebuilds the export names from the catalog's images (all versions) and stray files.</summary>
    public void Refresh(IReadOnlyList<CatalogImage> images, Func<CatalogImage, string> fullPath)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(fullPath);
        var live = new HashSet<string>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var image in images.Where(i => i.Status == CatalogImageStatus.Ready).OrderBy(i => i.Name, StringComparer.Ordinal).ThenBy(i => i.Version))
            {
                var path = fullPath(image);
                _overlays.AddBase(image.ExportName, path, Describe(image));
                live.Add(image.ExportName);
                // Ordered by version: the last one added under the plain name is the newest.
                _overlays.AddBase(image.Name, path, Describe(image));
                live.Add(image.Name);
            }
            if (Directory.Exists(_imagesDirectory))
            {
                foreach (var file in Directory.EnumerateFiles(_imagesDirectory).Order(StringComparer.Ordinal))
                {
                    var name = Path.GetFileNameWithoutExtension(file);
                    if (live.Contains(name) || images.Any(i => i.RelativePath.EndsWith("/" + Path.GetFileName(file), StringComparison.Ordinal)))
                    {
                        continue;
                    }
                    try
                    {
                        _overlays.AddBase(name, file, Path.GetFileName(file));
                        live.Add(name);
                    }
                    catch (ArgumentException)
                    {
                        // A name the block service cannot carry (spaces, '@' ...): import it to give it one.
                    }
                }
            }
            _live = live;
        }
    }

    /// <summary>Adds one freshly imported image at once (a full refresh follows).</summary>
    public void Add(CatalogImage image, string fullPath)
    {
        ArgumentNullException.ThrowIfNull(image);
        lock (_lock)
        {
            _overlays.AddBase(image.ExportName, fullPath, Describe(image));
            _overlays.AddBase(image.Name, fullPath, Describe(image));
            _live.Add(image.ExportName);
            _live.Add(image.Name);
        }
    }

    /// <summary>Withdraws a deleted version at once (a full refresh then re-points the plain name).</summary>
    public void Remove(CatalogImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        lock (_lock)
        {
            _live.Remove(image.ExportName);
            _live.Remove(image.Name);
        }
    }

    public IReadOnlyList<ExportListing> List()
    {
        lock (_lock)
        {
            return [.. _overlays.List().Where(e => _live.Contains(e.Name))];
        }
    }

    public NbdExport? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var at = name.IndexOf(OverlayExportProvider.IdentitySeparator, StringComparison.Ordinal);
        var baseName = at < 0 ? name : name[..at];
        lock (_lock)
        {
            if (!_live.Contains(baseName))
            {
                return null;
            }
        }
        var export = _overlays.Find(name);
        if (export is not null && at >= 0)
        {
            _nodeExports.TryAdd(name, export);
        }
        return export;
    }

    /// <summary>Throws away a node's overlays (every export name ending in @identity).</summary>
    public int ResetNode(string identity)
    {
        var suffix = OverlayExportProvider.IdentitySeparator + identity;
        var names = new HashSet<string>(_nodeExports.Keys.Where(k => k.EndsWith(suffix, StringComparison.Ordinal)), StringComparer.Ordinal);
        var overlayDir = Path.GetDirectoryName(_overlays.OverlayPath("x@y"))!;
        if (Directory.Exists(overlayDir))
        {
            foreach (var file in Directory.EnumerateFiles(overlayDir, "*" + suffix + ".qcow2"))
            {
                names.Add(Path.GetFileNameWithoutExtension(file));
            }
        }
        var removed = 0;
        foreach (var name in names)
        {
            _nodeExports.TryRemove(name, out _);
            if (_overlays.Reset(name))
            {
                removed++;
            }
        }
        return removed;
    }

    /// <summary>
    /// The overlay a commit of node <paramref name="identity"/> copies: <paramref name="preferred"/> (the
    /// export of its current assignment) when it has one, else the one it wrote to last; null = none.
    /// </summary>
    public string? OverlayToCommit(string identity, string? preferred)
    {
        if (preferred is not null && File.Exists(_overlays.OverlayPath(preferred)))
        {
            return preferred;
        }
        var overlayDir = Path.GetDirectoryName(_overlays.OverlayPath("x@y"))!;
        if (!Directory.Exists(overlayDir))
        {
            return null;
        }
        var suffix = OverlayExportProvider.IdentitySeparator + identity + ".qcow2";
        return new DirectoryInfo(overlayDir).EnumerateFiles("*" + suffix)
            .Where(f => f.Name.EndsWith(suffix, StringComparison.Ordinal))
            .OrderByDescending(f => f.LastWriteTimeUtc)
            .Select(f => Path.GetFileNameWithoutExtension(f.Name))
            .FirstOrDefault();
    }

    /// <summary>
    /// A fresh temporary path for a commit's output, beside the overlays (same file system, not
    /// data/images where a stray file would be exported). Swept when the server next starts if left.
    /// </summary>
    public string NewCommitPath() =>
        Path.Combine(Path.GetDirectoryName(_overlays.OverlayPath("x@y"))!, $"{OverlayExportProvider.CommitPrefix}{Guid.NewGuid():N}.qcow2");

    /// <summary>
    /// Flattens a node's overlay and its base into a standalone qcow2 at <paramref name="destination"/>
    /// (a consistent snapshot: the export's writes are held while it copies). Throws
    /// <see cref="CatalogException"/> (NotFound) when the export has no overlay or its image is gone.
    /// </summary>
    public void Commit(string exportName, string destination, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(exportName);
        if (!exportName.Contains(OverlayExportProvider.IdentitySeparator, StringComparison.Ordinal) || !File.Exists(_overlays.OverlayPath(exportName)))
        {
            throw new CatalogException(CatalogErrorKind.NotFound, $"'{exportName}' has no overlay");
        }
        if (Find(exportName) is null)
        {
            throw new CatalogException(CatalogErrorKind.NotFound, $"the image under overlay '{exportName}' is no longer in the catalog");
        }
        try
        {
            _overlays.Commit(exportName, destination, ImageFormat.Qcow2, cancellationToken);
        }
        catch (ObjectDisposedException)
        {
            throw new CatalogException(CatalogErrorKind.Conflict, $"overlay '{exportName}' was reset while committing it");
        }
    }

    private static string Describe(CatalogImage image) =>
        string.IsNullOrEmpty(image.OsLabel) ? $"{image.Name} v{image.Version} ({image.FormatName})" : $"{image.OsLabel}: {image.Name} v{image.Version}";

    public void Dispose() => _overlays.Dispose();
}

using BareMetal.ImageStore.Formats;

namespace BareMetal.ImageStore.Nbd.Exports;

/// <summary>
/// Serves one already-open disk under one or more names (`baremetal export FILE`, like qemu-nbd:
/// a name and usually the empty default name too). Owns the disk.
/// </summary>
public sealed class FileExportProvider : IExportProvider, IDisposable
{
    private readonly NbdExport _export;
    private readonly HashSet<string> _names;

    public FileExportProvider(VirtualDisk disk, bool readOnly, IEnumerable<string> names, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(names);
        _names = new HashSet<string>(names, StringComparer.Ordinal);
        if (_names.Count == 0)
        {
            throw new ArgumentException("at least one export name is needed", nameof(names));
        }
        _export = new NbdExport(_names.OrderByDescending(n => n.Length).First(), disk, readOnly, description);
    }

    public NbdExport Export => _export;

    public IReadOnlyList<ExportListing> List() =>
        [.. _names.Where(n => n.Length > 0 || _names.Count == 1).Order(StringComparer.Ordinal).Select(n => new ExportListing(n, _export.Description))];

    public NbdExport? Find(string name) => _names.Contains(name) ? _export : null;

    public void Dispose() => _export.Disk.Dispose();
}

using BareMetal.ImageStore.Nbd.Exports;

namespace BareMetal.ImageStore.Nbd.Tests;

/// <summary>Several exports, each under one or more names (the first is listed), for tests that need two.</summary>
internal sealed class NamedExports : IExportProvider
{
    private readonly Dictionary<string, NbdExport> _byName = new(StringComparer.Ordinal);
    private readonly List<ExportListing> _listed = [];

    public NamedExports Add(NbdExport export, params string[] names)
    {
        ArgumentNullException.ThrowIfNull(export);
        foreach (var n in names)
        {
            _byName.Add(n, export);
        }
        _listed.Add(new ExportListing(names[0], export.Description));
        return this;
    }

    public IReadOnlyList<ExportListing> List() => _listed;

    public NbdExport? Find(string name) => _byName.GetValueOrDefault(name);
}

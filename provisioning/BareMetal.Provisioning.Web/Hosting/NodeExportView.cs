using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.Provisioning.Core.Audit;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// The catalog's exports as one client sees them (<see cref="IExportProvider.ForClient"/>): base images
/// as they are (nodes boot from them), and a per-node export only when <see cref="NodeSecurity"/> says
/// this client is that node. Anything else is "no such export", and no overlay file is ever made for it.
/// Every refusal, and each node's first open of an export, goes to the audit log.
/// </summary>
internal sealed class NodeExportView(CatalogExportProvider catalog, NodeSecurity security, ExportClient client) : IExportProvider
{
    /// <summary>Base exports only: a client is never shown another node's overlay (nor its own: it has the name from its script).</summary>
    public IReadOnlyList<ExportListing> List() => catalog.List();

    public NbdExport? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!ExportName.TryParse(name, out var parsed))
        {
            return null;
        }
        if (!parsed.IsPerNode)
        {
            return catalog.Find(parsed.Base);
        }
        var chapProven = client.Protocol == ExportProtocol.Iscsi && security.IscsiChapEnforced;
        var decision = security.Policy.Export(parsed.Node!, parsed.ImageName, parsed.Version, parsed.Key, client.Address, chapProven);
        var source = client.Address.ToString();
        var protocol = client.Protocol.ToString().ToLowerInvariant();
        if (!decision.Allowed)
        {
            security.Audit.Record(decision.Mac ?? "?", source, $"export.open.{protocol}", parsed.Canonical, AuditOutcome.Refused, decision.Reason);
            return null;
        }
        var export = catalog.Find(parsed.Canonical);
        if (export is not null)
        {
            security.RecordOpen(decision.Mac!, source, protocol, parsed.Canonical);
        }
        return export;
    }

    public IExportProvider ForClient(ExportClient other) => new NodeExportView(catalog, security, other);
}

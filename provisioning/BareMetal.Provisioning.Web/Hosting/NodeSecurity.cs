using System.Collections.Concurrent;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.Provisioning.Core;
using BareMetal.Provisioning.Core.Audit;
using BareMetal.Provisioning.Core.Events;
using BareMetal.Provisioning.Core.Security;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// Node isolation as the server runs it: the access table kept exact from the change feed, the keys, the
/// policy, the audit trail, and the block service's exports wrapped so that every front-end (NBD, iSCSI,
/// HTTP) asks the policy before it opens a per-node export.
/// </summary>
internal sealed class NodeSecurity : IExportProvider
{
    /// <summary>A node's open of one export is audited once per this window (HTTP sanboot opens per request).</summary>
    public static readonly TimeSpan OpenAuditWindow = TimeSpan.FromMinutes(10);

    /// <summary>Most (node, export, protocol, address) open records remembered for that window.</summary>
    public const int MaxOpenRecords = 10_000;

    private readonly CatalogExportProvider _catalog;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _opens = new(StringComparer.Ordinal);

    public NodeSecurity(CatalogExportProvider catalog, NodeAccessTable table, NodeAccessPolicy policy, AuditTrail audit, TimeProvider time)
    {
        _catalog = catalog;
        Table = table;
        Policy = policy;
        Audit = audit;
        _time = time;
    }

    public NodeAccessTable Table { get; }

    public NodeAccessPolicy Policy { get; }

    public AuditTrail Audit { get; }

    /// <summary>The iSCSI target checks CHAP with the node's deployment secrets (<see cref="IscsiChapPolicy"/>) for every per-node target.</summary>
    public bool IscsiChapEnforced { get; set; }

    /// <summary>Loads the table and follows the change feed from now on (call before any client can connect).</summary>
    public static async Task<NodeSecurity> StartAsync(ProvisioningDatabase db, CatalogExportProvider catalog, NodeKeys keys, INodeAddressVerifier addresses,
        bool requireVerifiedAddress, AuditTrail audit, TimeProvider time, CancellationToken cancellationToken)
    {
        var table = new NodeAccessTable();
        // Subscribed before loading: a change committed while loading is applied on top (Apply is idempotent, ids only grow).
        db.Events.Committed += table.Apply;
        table.Load(await db.Nodes.ListAsync(cancellationToken), await db.Deployments.ListCurrentAsync(cancellationToken));
        return new NodeSecurity(catalog, table, new NodeAccessPolicy(table, keys, addresses, requireVerifiedAddress), audit, time);
    }

    public IReadOnlyList<ExportListing> List() => _catalog.List();

    /// <summary>Without a client there is no node to be: base exports only.</summary>
    public NbdExport? Find(string name) =>
        ExportName.TryParse(name, out var n) && !n.IsPerNode ? _catalog.Find(n.Base) : null;

    public IExportProvider ForClient(ExportClient client) => new NodeExportView(_catalog, this, client);

    /// <summary>Audits a node's open of an export, once per <see cref="OpenAuditWindow"/> per (node, export, protocol, address).</summary>
    public void RecordOpen(string mac, string source, string protocol, string export) => RecordAllowed(mac, source, $"export.open.{protocol}", export);

    /// <summary>Audits something a node was allowed to do, once per <see cref="OpenAuditWindow"/> per (node, action, target, address).</summary>
    public void RecordAllowed(string mac, string source, string action, string target)
    {
        var now = _time.GetUtcNow();
        var key = $"{mac}|{target}|{action}|{source}";
        if (_opens.TryGetValue(key, out var last) && now - last < OpenAuditWindow)
        {
            return;
        }
        if (_opens.Count >= MaxOpenRecords)
        {
            _opens.Clear();
        }
        _opens[key] = now;
        Audit.Record(mac, source, action, target, AuditOutcome.Allowed);
    }
}

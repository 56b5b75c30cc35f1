using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Catalog.Data;
using BareMetal.Provisioning.Core.Accounts;
using BareMetal.Provisioning.Core.Audit;
using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Events;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Core.Security;
using BareMetal.Provisioning.Core.Settings;
using BareMetal.Pxe.Dhcp.Session;

namespace BareMetal.Provisioning.Core;

/// <summary>
/// Everything provisioning keeps, opened in one call: the database (SQLite data/baremetal.db by default,
/// or PostgreSQL), migrated; the image catalog, reconciled with data/images; the node registry (also the
/// catalog's delete guard), deployment tracker, accounts, settings, and the change feed they all
/// publish to. The Web project holds one instance for the server's lifetime.
/// </summary>
public sealed class ProvisioningDatabase : IAsyncDisposable
{
    private ProvisioningDatabase(SqlDatabase database, ImageCatalog catalog, NodeRegistry nodes, DeploymentTracker deployments,
        AccountStore accounts, SettingsStore settings, ProvisioningEventHub events, NodeKeys keys)
    {
        Keys = keys;
        Audit = new AuditStore(database);
        Database = database;
        Catalog = catalog;
        Nodes = nodes;
        Deployments = deployments;
        Accounts = accounts;
        Settings = settings;
        Events = events;
        BootScripts = new BootScriptService(nodes, catalog, deployments, settings, keys);
    }

    /// <summary>The server key the nodes' deployment secrets derive from (data/node-keys.key).</summary>
    public NodeKeys Keys { get; }

    /// <summary>The audit log's table.</summary>
    public AuditStore Audit { get; }

    public SqlDatabase Database { get; }

    public ImageCatalog Catalog { get; }

    public NodeRegistry Nodes { get; }

    public DeploymentTracker Deployments { get; }

    public AccountStore Accounts { get; }

    public SettingsStore Settings { get; }

    public ProvisioningEventHub Events { get; }

    public BootScriptService BootScripts { get; }

    /// <summary>Every migration this build knows (catalog and provisioning).</summary>
    public static IEnumerable<Migration> Migrations => CatalogMigrations.All.Concat(ProvisioningMigrations.All);

    /// <summary>
    /// Opens, migrates and reconciles.
    /// </summary>
    /// <param name="dataDirectory">The server's data directory (images, overlays, and the SQLite file).</param>
    /// <param name="connection">Null/empty = SQLite in the data directory; else see <see cref="SqlDatabase.Open"/>.</param>
    public static async Task<ProvisioningDatabase> OpenAsync(string dataDirectory, string? connection = null, ProvisioningOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        options ??= new ProvisioningOptions();
        var db = SqlDatabase.Open(connection, dataDirectory);
        try
        {
            await db.MigrateAsync(Migrations, cancellationToken);
            var events = new ProvisioningEventHub();
            var nodes = new NodeRegistry(db, options.Time, events);
            var catalog = new ImageCatalog(db, new CatalogOptions { DataDirectory = dataDirectory, MaxImageBytes = options.MaxImageBytes, Time = options.Time }, nodes);
            catalog.Changed += (_, change) => events.Publish(new ProvisioningChange(
                change.Kind switch
                {
                    ImageChangeKind.Imported => ProvisioningChangeKind.ImageImported,
                    ImageChangeKind.Deleted => ProvisioningChangeKind.ImageDeleted,
                    _ => ProvisioningChangeKind.ImageUpdated,
                },
                options.Time.GetUtcNow(), Image: change.Image));
            await catalog.ReconcileAsync(cancellationToken);
            return new ProvisioningDatabase(db, catalog, nodes, new DeploymentTracker(db, options.Time, events),
                new AccountStore(db, options.Time, options.PasswordIterations), new SettingsStore(db, options.Time, events), events,
                NodeKeys.LoadOrCreate(dataDirectory));
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// What the DHCP server's ClientContact event should do: register (or refresh) the node and record the
    /// contact as a deployment event. Boot firmware starts a boot; an OS's own DHCP client moves a streaming
    /// node to OsUp (<see cref="DeploymentStateMachine"/>). An OS's DHCP never registers a node: ProxyDHCP
    /// hears every DHCP client on the segment (phones, printers), and only machines that boot through us
    /// (or were added by hand) are nodes. Node null: an unknown MAC's OS DHCP, ignored.
    /// </summary>
    public async Task<(Node? Node, bool Created, RecordResult Deployment)> RecordDhcpContactAsync(DhcpClientContact contact, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contact);
        var e = DeploymentEvent.FromDhcp(contact);
        if (!e.IsBootFirmware && await Nodes.GetAsync(Macs.Require(contact.Mac), cancellationToken) is null)
        {
            return (null, false, new RecordResult(TransitionAction.Ignore, null));
        }
        var (node, created) = await Nodes.RegisterContactAsync(contact, cancellationToken);
        var result = await Deployments.RecordAsync(node.Mac, e, cancellationToken);
        return (node, created, result);
    }

    /// <summary>
    /// Records an event for whichever node was last seen at <paramref name="address"/> (TFTP transfers,
    /// block-service reads); null when no node is known there (the event is dropped).
    /// </summary>
    public async Task<RecordResult?> RecordByAddressAsync(string address, DeploymentEvent deploymentEvent, CancellationToken cancellationToken = default)
    {
        var node = await Nodes.GetByAddressAsync(address, cancellationToken);
        return node is null ? null : await Deployments.RecordAsync(node.Mac, deploymentEvent, cancellationToken);
    }

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}

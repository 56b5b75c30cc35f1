using System.Data.Common;
using System.Globalization;
using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Catalog.Data;
using BareMetal.Provisioning.Core.Events;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Provisioning.Core.Nodes;

/// <summary>
/// <see cref="INodeRegistry"/> over the shared database; also the catalog's delete guard
/// (<see cref="IImageUsage"/>): both run in the same transaction as the change they guard.
/// </summary>
public sealed class NodeRegistry : INodeRegistry, IImageUsage
{
    /// <summary>RFC 1035: a host name has at most 253 characters.</summary>
    public const int MaxHostnameLength = 253;

    private const string Columns = "mac, hostname, architecture, uuid, firmware, ip, first_seen, last_seen, image_name, image_version, mode, origin, pinned_ip";

    private readonly SqlDatabase _db;
    private readonly TimeProvider _time;
    private readonly IProvisioningEvents? _events;

    public NodeRegistry(SqlDatabase database, TimeProvider? time = null, IProvisioningEvents? events = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _time = time ?? TimeProvider.System;
        _events = events;
    }

    public Task<(Node Node, bool Created)> RegisterContactAsync(DhcpClientContact contact, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return UpsertSeenAsync(Macs.Require(contact.Mac), contact.Architecture, contact.Uuid, contact.Firmware, contact.Address?.ToString(), cancellationToken);
    }

    public Task<(Node Node, bool Created)> RegisterContactAsync(HttpBootContact contact, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(contact);
        return UpsertSeenAsync(Macs.Require(contact.Mac), null, null, null, contact.RemoteAddress, cancellationToken);
    }

    private async Task<(Node, bool)> UpsertSeenAsync(string mac, ClientArchitecture? arch, Guid? uuid, FirmwareKind? firmware, string? ip, CancellationToken cancellationToken)
    {
        if (ip is { Length: > 64 })
        {
            ip = null;
        }
        var now = DbValues.ToUnixMs(_time.GetUtcNow());
        Node node;
        bool created;
        await using (var s = await _db.WriteAsync(cancellationToken))
        {
            var existing = await FindAsync(s, mac, cancellationToken);
            created = existing is null;
            if (created)
            {
                await s.ExecuteAsync(
                    $"INSERT INTO nodes ({Columns}) VALUES (@mac, NULL, @arch, @uuid, @fw, @ip, @now, @now, NULL, NULL, 0, 0, NULL)", cancellationToken,
                    ("@mac", mac), ("@arch", arch is { } a ? (int)a : null), ("@uuid", uuid?.ToString("D")), ("@fw", (int)(firmware ?? FirmwareKind.Other)),
                    ("@ip", ip), ("@now", now));
            }
            else
            {
                // Known facts are never replaced by "unknown": an HTTP fetch carries no architecture.
                await s.ExecuteAsync(
                    "UPDATE nodes SET last_seen = @now, architecture = COALESCE(@arch, architecture), uuid = COALESCE(@uuid, uuid), " +
                    "firmware = COALESCE(@fw, firmware), ip = COALESCE(@ip, ip) WHERE mac = @mac", cancellationToken,
                    ("@mac", mac), ("@arch", arch is { } a ? (int)a : null), ("@uuid", uuid?.ToString("D")),
                    ("@fw", firmware is { } f && f != FirmwareKind.Other ? (int)f : null), ("@ip", ip), ("@now", now));
            }
            node = await FindAsync(s, mac, cancellationToken) ?? throw new InvalidOperationException("node vanished inside its transaction");
            await s.CommitAsync(cancellationToken);
        }
        Publish(created ? ProvisioningChangeKind.NodeAdded : ProvisioningChangeKind.NodeChanged, node);
        return (node, created);
    }

    public async Task<Node> AddAsync(NewNode node, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(node);
        var mac = Macs.Require(node.Mac);
        var hostname = CheckHostname(node.Hostname);
        if (node.IpAddress is { Length: > 64 })
        {
            throw new CatalogException(CatalogErrorKind.Invalid, "an IP address has at most 64 characters");
        }
        // An address given by hand is the operator's word: it pins the node there (a node's callbacks and
        // boot script are accepted from it), unlike the last-seen address any DHCP request can claim.
        string? pinned = null;
        if (node.IpAddress is { Length: > 0 } given)
        {
            pinned = System.Net.IPAddress.TryParse(given, out var parsed)
                ? (parsed.IsIPv4MappedToIPv6 ? parsed.MapToIPv4() : parsed).ToString()
                : throw new CatalogException(CatalogErrorKind.Invalid, $"'{given}' is not an IP address");
        }
        var now = DbValues.ToUnixMs(_time.GetUtcNow());
        Node added;
        await using (var s = await _db.WriteAsync(cancellationToken))
        {
            if (await FindAsync(s, mac, cancellationToken) is not null)
            {
                throw new CatalogException(CatalogErrorKind.Conflict, $"node {mac} is already registered");
            }
            await s.ExecuteAsync(
                $"INSERT INTO nodes ({Columns}) VALUES (@mac, @host, @arch, @uuid, @fw, @ip, @now, @now, NULL, NULL, 0, 1, @ip)", cancellationToken,
                ("@mac", mac), ("@host", hostname), ("@arch", node.Architecture is { } a ? (int)a : null), ("@uuid", node.Uuid?.ToString("D")),
                ("@fw", (int)node.Firmware), ("@ip", pinned), ("@now", now));
            added = await FindAsync(s, mac, cancellationToken) ?? throw new InvalidOperationException("node vanished inside its transaction");
            await s.CommitAsync(cancellationToken);
        }
        Publish(ProvisioningChangeKind.NodeAdded, added);
        return added;
    }

    public async Task<Node?> GetAsync(string mac, CancellationToken cancellationToken = default)
    {
        var m = Macs.Require(mac);
        await using var s = await _db.ReadAsync(cancellationToken);
        return await FindAsync(s, m, cancellationToken);
    }

    public async Task<Node?> GetByAddressAsync(string address, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Length is 0 or > 64)
        {
            return null;
        }
        await using var s = await _db.ReadAsync(cancellationToken);
        return await s.QuerySingleAsync($"SELECT {Columns} FROM nodes WHERE ip = @ip ORDER BY last_seen DESC, mac LIMIT 1", ReadNode, cancellationToken, ("@ip", address));
    }

    public async Task<IReadOnlyList<Node>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var s = await _db.ReadAsync(cancellationToken);
        return await s.QueryAsync($"SELECT {Columns} FROM nodes ORDER BY mac", ReadNode, cancellationToken);
    }

    public async Task<Node> AssignAsync(string mac, NodeAssignment assignment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        var m = Macs.Require(mac);
        if (!Enum.IsDefined(assignment.Mode))
        {
            throw new CatalogException(CatalogErrorKind.Invalid, $"mode {(int)assignment.Mode} is not stream, deploy, local or devirt");
        }
        if (assignment.ImageName is { } name)
        {
            ImageNames.Validate(name);
        }
        if (assignment.ImageVersion is < 1)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, "an image version is 1 or more");
        }
        if (assignment.ImageName is null && assignment.ImageVersion is not null)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, "a version needs an image name");
        }
        var needsImage = assignment.Mode is NodeMode.Stream or NodeMode.Deploy or NodeMode.Devirt;
        if (needsImage && assignment.ImageName is null)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, $"mode {assignment.Mode.ToString().ToLowerInvariant()} needs an image");
        }
        Node updated;
        await using (var s = await _db.WriteAsync(cancellationToken))
        {
            if (await FindAsync(s, m, cancellationToken) is null)
            {
                throw new NodeNotFoundException(m);
            }
            if (assignment.ImageName is { } imageName &&
                await ImageCatalog.FindAsync(s, imageName, assignment.ImageVersion, forUpdate: true, cancellationToken) is null)
            {
                throw new ImageNotFoundException(imageName, assignment.ImageVersion);
            }
            await s.ExecuteAsync("UPDATE nodes SET image_name = @n, image_version = @v, mode = @mode WHERE mac = @mac", cancellationToken,
                ("@n", assignment.ImageName), ("@v", assignment.ImageVersion), ("@mode", (int)assignment.Mode), ("@mac", m));
            updated = await FindAsync(s, m, cancellationToken) ?? throw new NodeNotFoundException(m);
            await s.CommitAsync(cancellationToken);
        }
        Publish(ProvisioningChangeKind.NodeChanged, updated);
        return updated;
    }

    public Task<Node> UnassignAsync(string mac, CancellationToken cancellationToken = default) =>
        AssignAsync(mac, new NodeAssignment(null, null, NodeMode.None), cancellationToken);

    public async Task<Node> RenameAsync(string mac, string? hostname, CancellationToken cancellationToken = default)
    {
        var m = Macs.Require(mac);
        var h = CheckHostname(hostname);
        Node updated;
        await using (var s = await _db.WriteAsync(cancellationToken))
        {
            if (await s.ExecuteAsync("UPDATE nodes SET hostname = @h WHERE mac = @mac", cancellationToken, ("@h", h), ("@mac", m)) == 0)
            {
                throw new NodeNotFoundException(m);
            }
            updated = await FindAsync(s, m, cancellationToken) ?? throw new NodeNotFoundException(m);
            await s.CommitAsync(cancellationToken);
        }
        Publish(ProvisioningChangeKind.NodeChanged, updated);
        return updated;
    }

    public async Task<bool> RemoveAsync(string mac, CancellationToken cancellationToken = default)
    {
        var m = Macs.Require(mac);
        Node? removed;
        await using (var s = await _db.WriteAsync(cancellationToken))
        {
            removed = await FindAsync(s, m, cancellationToken);
            if (removed is null)
            {
                return false;
            }
            // Explicit, not only ON DELETE CASCADE: a hand-made SQLite connection may have foreign keys off.
            await s.ExecuteAsync("DELETE FROM deployment_transitions WHERE deployment_id IN (SELECT id FROM deployments WHERE mac = @mac)", cancellationToken, ("@mac", m));
            await s.ExecuteAsync("DELETE FROM deployments WHERE mac = @mac", cancellationToken, ("@mac", m));
            await s.ExecuteAsync("DELETE FROM nodes WHERE mac = @mac", cancellationToken, ("@mac", m));
            await s.CommitAsync(cancellationToken);
        }
        Publish(ProvisioningChangeKind.NodeRemoved, removed);
        return true;
    }

    /// <summary>
    /// A node on "latest" uses every version of its image; a pinned node uses its version. Locks the
    /// rows on PostgreSQL, so a concurrent assignment waits for the delete (and then finds no image).
    /// </summary>
    public async Task<IReadOnlyList<string>> UsersAsync(DbSession session, string name, int? version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        return version is { } v
            ? await session.QueryAsync($"SELECT mac FROM nodes WHERE image_name = @n AND (image_version IS NULL OR image_version = @v) ORDER BY mac{session.Dialect.ForUpdate}",
                r => r.String("mac")!, cancellationToken, ("@n", name), ("@v", v))
            : await session.QueryAsync($"SELECT mac FROM nodes WHERE image_name = @n ORDER BY mac{session.Dialect.ForUpdate}",
                r => r.String("mac")!, cancellationToken, ("@n", name));
    }

    internal static Task<Node?> FindAsync(DbSession s, string mac, CancellationToken cancellationToken) =>
        s.QuerySingleAsync($"SELECT {Columns} FROM nodes WHERE mac = @mac", ReadNode, cancellationToken, ("@mac", mac));

    internal static Node ReadNode(DbDataReader r) => new(
        r.String("mac")!,
        r.String("hostname"),
        r.NullableInt32("architecture") is { } a ? (ClientArchitecture)a : null,
        r.String("uuid") is { } u ? Guid.Parse(u, CultureInfo.InvariantCulture) : null,
        (FirmwareKind)r.Int32("firmware"),
        r.String("ip"),
        r.Time("first_seen"),
        r.Time("last_seen"),
        r.String("image_name"),
        r.NullableInt32("image_version"),
        (NodeMode)r.Int32("mode"),
        (NodeOrigin)r.Int32("origin"),
        r.String("pinned_ip"));

    private static string? CheckHostname(string? hostname)
    {
        if (string.IsNullOrEmpty(hostname))
        {
            return null;
        }
        if (hostname.Length > MaxHostnameLength)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, $"a hostname has at most {MaxHostnameLength} characters");
        }
        if (!hostname.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.') || hostname[0] is '-' or '.')
        {
            throw new CatalogException(CatalogErrorKind.Invalid, "a hostname holds letters, digits, '-' and '.', and starts with a letter or digit");
        }
        return hostname;
    }

    private void Publish(ProvisioningChangeKind kind, Node node) =>
        _events?.Publish(new ProvisioningChange(kind, _time.GetUtcNow(), node.Mac, Node: node));
}

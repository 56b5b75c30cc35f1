using BareMetal.Pxe.Dhcp.Session;

namespace BareMetal.Provisioning.Core.Nodes;

/// <summary>
/// The nodes the server knows and their assignments. MACs may be given in any accepted spelling
/// (see <see cref="Macs"/>); a malformed one is a 400-kind <see cref="ImageStore.Catalog.CatalogException"/>.
/// </summary>
public interface INodeRegistry
{
    /// <summary>
    /// Registers a node on a DHCP contact (auto origin) or refreshes a known one's last-seen time,
    /// architecture, UUID, firmware and address (known values are not overwritten by missing ones).
    /// Returns the node and whether it was new.
    /// </summary>
    Task<(Node Node, bool Created)> RegisterContactAsync(DhcpClientContact contact, CancellationToken cancellationToken = default);

    /// <summary>Same for an HTTP contact (boot script fetch, node report).</summary>
    Task<(Node Node, bool Created)> RegisterContactAsync(HttpBootContact contact, CancellationToken cancellationToken = default);

    /// <summary>Adds a node by hand. A MAC already registered is a 409-kind refusal.</summary>
    Task<Node> AddAsync(NewNode node, CancellationToken cancellationToken = default);

    Task<Node?> GetAsync(string mac, CancellationToken cancellationToken = default);

    /// <summary>
    /// The node last seen at <paramref name="address"/> (TFTP and the block service know only the peer
    /// address); null when none. Addresses are as recorded (leased, ciaddr, HTTP peer).
    /// </summary>
    Task<Node?> GetByAddressAsync(string address, CancellationToken cancellationToken = default);

    /// <summary>Every node, by MAC.</summary>
    Task<IReadOnlyList<Node>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Assigns an image and a mode. Stream, Deploy and Devirt need an image that exists (404 kind when
    /// not); Local and None take none (an image given is kept for later). Unknown node = 404 kind.
    /// </summary>
    Task<Node> AssignAsync(string mac, NodeAssignment assignment, CancellationToken cancellationToken = default);

    /// <summary>Back to mode None without image.</summary>
    Task<Node> UnassignAsync(string mac, CancellationToken cancellationToken = default);

    /// <summary>Sets or clears the hostname (at most 253 characters, DNS letters, digits, '-' and '.').</summary>
    Task<Node> RenameAsync(string mac, string? hostname, CancellationToken cancellationToken = default);

    /// <summary>Removes a node and its deployment history; false when it was not there.</summary>
    Task<bool> RemoveAsync(string mac, CancellationToken cancellationToken = default);
}

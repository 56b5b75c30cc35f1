using BareMetal.ImageStore.Catalog.Data;

namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// Tells the catalog who uses an image, inside the delete's own transaction (so an assignment cannot
/// slip in between the check and the delete). Provisioning's node registry implements it.
/// </summary>
public interface IImageUsage
{
    /// <summary>
    /// The users (node MACs) of <paramref name="name"/>; <paramref name="version"/> null = any version.
    /// A node assigned to "latest" uses every version of the name.
    /// </summary>
    Task<IReadOnlyList<string>> UsersAsync(DbSession session, string name, int? version, CancellationToken cancellationToken);
}

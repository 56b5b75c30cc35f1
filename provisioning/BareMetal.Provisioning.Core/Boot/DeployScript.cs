using BareMetal.ImageStore.Catalog;

namespace BareMetal.Provisioning.Core.Boot;

/// <summary>A deploy-mode script handed to a node: it will read <paramref name="Image"/>'s base export from <paramref name="RemoteAddress"/>.</summary>
/// <param name="Mac">The node, normalised.</param>
/// <param name="RemoteAddress">The address its script request came from (the block service counts reads per client address); null when unknown.</param>
public sealed record DeployScript(string Mac, CatalogImage Image, string? RemoteAddress);

using BareMetal.ImageStore.Catalog;

namespace BareMetal.Provisioning.Core.Nodes;

/// <summary>No node with that MAC (the API answers 404).</summary>
public sealed class NodeNotFoundException : CatalogException
{
    public NodeNotFoundException(string mac)
        : base(CatalogErrorKind.NotFound, $"node {mac} is not registered") => Mac = mac;

    public NodeNotFoundException()
        : this("")
    {
    }

    public NodeNotFoundException(string message, Exception inner)
        : base(CatalogErrorKind.NotFound, message, inner) => Mac = "";

    public string Mac { get; }
}

using BareMetal.ImageStore.Catalog;

namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>A reported or requested state the current one cannot move to (the API answers 409).</summary>
public sealed class InvalidTransitionException : CatalogException
{
    public InvalidTransitionException(string mac, DeploymentState? from, DeploymentState to)
        : base(CatalogErrorKind.Conflict, $"node {mac}: cannot go from {from?.ToString() ?? "no deployment"} to {to}")
    {
        Mac = mac;
        From = from;
        To = to;
    }

    public InvalidTransitionException()
        : this("", null, DeploymentState.Pxe)
    {
    }

    public InvalidTransitionException(string message, Exception inner)
        : base(CatalogErrorKind.Conflict, message, inner) => Mac = "";

    public string Mac { get; }

    public DeploymentState? From { get; }

    public DeploymentState To { get; }
}

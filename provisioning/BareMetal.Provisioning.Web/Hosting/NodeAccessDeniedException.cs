namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>A request for a node's boot script or callback from someone who is not that node: HTTP 403, nothing changed.</summary>
public sealed class NodeAccessDeniedException(string message) : Exception(message);

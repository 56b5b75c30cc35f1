namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>
/// Deployment state per node, fed by DHCP, TFTP, HTTP, the block service and node reports.
/// Every transition is timestamped with the injected TimeProvider and persisted.
/// </summary>
public interface IDeploymentTracker
{
    /// <summary>
    /// Applies an event to the node's current deployment (see <see cref="DeploymentStateMachine"/>).
    /// The node must be registered (404 kind otherwise). A rejected claimed state throws
    /// <see cref="InvalidTransitionException"/>; out-of-order network events are ignored.
    /// </summary>
    Task<RecordResult> RecordAsync(string mac, DeploymentEvent deploymentEvent, CancellationToken cancellationToken = default);

    /// <summary>The node's latest deployment (finished or not) with its history; null when none.</summary>
    Task<Deployment?> GetCurrentAsync(string mac, CancellationToken cancellationToken = default);

    /// <summary>The node's deployments, newest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<Deployment>> GetHistoryAsync(string mac, int limit = 20, CancellationToken cancellationToken = default);

    /// <summary>The latest deployment of every node that has one, newest first.</summary>
    Task<IReadOnlyList<Deployment>> ListCurrentAsync(CancellationToken cancellationToken = default);
}

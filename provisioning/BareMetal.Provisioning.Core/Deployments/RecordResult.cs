namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>What <see cref="IDeploymentTracker.RecordAsync"/> did with an event.</summary>
/// <param name="Deployment">The node's current deployment after the event; null when it has none.</param>
public sealed record RecordResult(TransitionAction Action, Deployment? Deployment);

namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>One step in a deployment's history.</summary>
/// <param name="From">Null for the first state of a deployment.</param>
public sealed record DeploymentTransition(DeploymentState? From, DeploymentState To, DateTimeOffset At, DeploymentEventKind Source, string? Message);

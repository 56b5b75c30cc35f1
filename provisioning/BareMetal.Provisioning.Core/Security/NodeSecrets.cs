namespace BareMetal.Provisioning.Core.Security;

/// <summary>What one deployment's boot script hands its node (see <see cref="NodeKeys"/>).</summary>
/// <param name="ChapUser">The CHAP name of the node and of the target (the compact MAC).</param>
public sealed record NodeSecrets(long DeploymentId, string ExportKey, string ChapUser, string ChapSecret, string TargetChapSecret);

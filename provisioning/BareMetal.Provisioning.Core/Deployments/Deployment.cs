using BareMetal.Provisioning.Core.Nodes;

namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>
/// One boot of one node, from its PXE request to done/failed (or until the next boot supersedes it),
/// with the latest progress counters and its transitions.
/// </summary>
/// <param name="EndedAt">Set when it reached Done/Failed or a new boot superseded it.</param>
/// <param name="BytesStreamed">Bytes the block service sent to the node.</param>
/// <param name="BlocksFetched">Distinct 64 KiB blocks of the node's disk the block service read or wrote (the column keeps its first name; it counted requests before).</param>
/// <param name="OverlayBytes">Size of the node's copy-on-write overlay.</param>
/// <param name="CopyPercent">Background copy progress, 0..100.</param>
/// <param name="Error">Why it failed, or why it ended.</param>
public sealed record Deployment(
    long Id,
    string Mac,
    DeploymentState State,
    NodeMode Mode,
    string? ImageName,
    int? ImageVersion,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? EndedAt,
    long BytesStreamed,
    long BlocksFetched,
    long OverlayBytes,
    double CopyPercent,
    string? Error,
    IReadOnlyList<DeploymentTransition> History)
{
    public bool IsFinished => EndedAt is not null;
}

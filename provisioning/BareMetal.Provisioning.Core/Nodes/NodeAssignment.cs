namespace BareMetal.Provisioning.Core.Nodes;

/// <summary>What to boot: an image (newest version when <paramref name="ImageVersion"/> is null) and a mode.</summary>
public sealed record NodeAssignment(string? ImageName, int? ImageVersion, NodeMode Mode);

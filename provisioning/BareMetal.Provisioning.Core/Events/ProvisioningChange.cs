using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;

namespace BareMetal.Provisioning.Core.Events;

/// <summary>
/// One committed change, as the live views (SSE) receive it. Exactly the field that fits
/// <see cref="Kind"/> is set (Node, Deployment, Image, or SettingKey).
/// </summary>
public sealed record ProvisioningChange(
    ProvisioningChangeKind Kind,
    DateTimeOffset At,
    string? Mac = null,
    Node? Node = null,
    Deployment? Deployment = null,
    CatalogImage? Image = null,
    string? SettingKey = null);

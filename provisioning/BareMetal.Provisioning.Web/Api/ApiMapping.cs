using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;

namespace BareMetal.Provisioning.Web.Api;

/// <summary>Domain records to API records (the API's JSON stays stable when the domain grows).</summary>
internal static class ApiMapping
{
    public static ImageInfo ToApi(this CatalogImage i) => new(
        i.Id, i.Name, i.Version, i.FormatName, i.Sha256, i.VirtualSize, i.AllocatedSize, i.ClusterSize, i.BackingChain,
        string.IsNullOrEmpty(i.OsLabel) ? null : i.OsLabel, string.IsNullOrEmpty(i.Notes) ? null : i.Notes, i.ImportedAt,
        i.ExportName, i.Status.ToString().ToLowerInvariant());

    public static NodeInfo ToApi(this Node n, Deployment? current) => new(
        n.Mac, n.Hostname, n.Architecture?.ToString(), n.Uuid?.ToString(), n.Firmware.ToString().ToLowerInvariant(), n.IpAddress,
        n.FirstSeen, n.LastSeen, n.ImageName, n.ImageVersion, ModeName(n.Mode), n.Origin == NodeOrigin.Manual,
        current is null ? null : StateName(current.State), n.PinnedAddress);

    public static DeploymentInfo ToApi(this Deployment d) => new(
        d.Id, d.Mac, StateName(d.State), ModeName(d.Mode), d.ImageName, d.ImageVersion, d.StartedAt, d.UpdatedAt, d.EndedAt,
        new ProgressInfo(d.BytesStreamed, d.BlocksFetched, d.OverlayBytes, d.CopyPercent), d.Error,
        [.. d.History.Select(t => new DeploymentStep(t.From is { } f ? StateName(f) : null, StateName(t.To), t.At, SourceName(t.Source), t.Message))]);

    public static string ModeName(NodeMode mode) => mode.ToString().ToLowerInvariant();

    /// <summary>"os-up" for OsUp: the spelling nodes use when they report.</summary>
    public static string StateName(DeploymentState state) => state switch
    {
        DeploymentState.OsUp => "os-up",
        _ => state.ToString().ToLowerInvariant(),
    };

    public static string SourceName(DeploymentEventKind kind) => kind switch
    {
        DeploymentEventKind.DhcpContact => "dhcp",
        DeploymentEventKind.TftpTransfer => "tftp",
        DeploymentEventKind.BootScriptFetched => "boot-script",
        DeploymentEventKind.DiskRead => "disk",
        DeploymentEventKind.NodeReport => "node",
        DeploymentEventKind.Manual => "manual",
        _ => kind.ToString().ToLowerInvariant(),
    };

    public static DeploymentState? ParseState(string text) => text.ToLowerInvariant() switch
    {
        "pxe" => DeploymentState.Pxe,
        "bootloader" => DeploymentState.Bootloader,
        "streaming" => DeploymentState.Streaming,
        "os-up" or "osup" => DeploymentState.OsUp,
        "copying" => DeploymentState.Copying,
        "done" => DeploymentState.Done,
        "failed" => DeploymentState.Failed,
        _ => null,
    };

    public static NodeMode? ParseMode(string text) => text.ToLowerInvariant() switch
    {
        "stream" => NodeMode.Stream,
        "deploy" => NodeMode.Deploy,
        "local" => NodeMode.Local,
        "devirt" => NodeMode.Devirt,
        _ => null,
    };
}

using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Nodes;

namespace BareMetal.Provisioning.Core.Boot;

/// <summary>
/// Renders a node's iPXE script (/boot/{mac}.ipxe) from its assignment. Pure: the caller looks the node
/// and image up (see <see cref="BootScriptService"/>). Every script that cannot boot the node now
/// waits and asks again, so a node that is assigned later boots without anyone touching it.
/// </summary>
public static class BootScriptRenderer
{
    /// <summary>Seconds a waiting node sleeps before it asks for its script again.</summary>
    public const int RetrySeconds = 10;

    /// <summary>Text of the unknown-node script that tests and people look for on the console.</summary>
    public const string NotAssignedMarker = "is not assigned yet";

    /// <summary>The script for <paramref name="node"/> (null = unknown) and its resolved image (null = none or gone).</summary>
    /// <param name="baseUrl">Our HTTP base as the node reaches it, e.g. "http://10.0.0.1:8080" (a trailing '/' is ignored).</param>
    /// <param name="iscsi">Stream over iSCSI from this portal instead of HTTP range; null = HTTP.</param>
    public static string Render(string mac, Node? node, CatalogImage? image, string baseUrl, IscsiPortal? iscsi = null)
    {
        ArgumentNullException.ThrowIfNull(mac);
        ArgumentNullException.ThrowIfNull(baseUrl);
        var b = baseUrl.TrimEnd('/');
        if (node is null || node.Mode == NodeMode.None)
        {
            return UnknownNode(mac, b);
        }
        return node.Mode switch
        {
            NodeMode.Local => Local(mac),
            NodeMode.Stream when image is { Status: CatalogImageStatus.Ready } => Stream(iscsi is null ? DiskUrl(b, image, node) : iscsi.SanUri(image.ExportName, node.CompactMac)),
            NodeMode.Stream => Waiting(mac, b, $"image {Describe(node)} is not available"),
            _ => Waiting(mac, b, $"mode {node.Mode.ToString().ToLowerInvariant()} is reserved and not implemented yet"),
        };
    }

    /// <summary>"{base}/disk/debian.v3@525400123456": the HTTP-range export of the node's overlay of that version.</summary>
    public static string DiskUrl(string baseUrl, CatalogImage image, Node node)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(node);
        return $"{baseUrl.TrimEnd('/')}/disk/{image.ExportName}@{node.CompactMac}";
    }

    /// <summary>Same text as provisioning/BareMetal.Provisioning.Web/BootScripts.cs had (tests grep for it).</summary>
    public static string UnknownNode(string mac, string baseUrl) =>
        $"""
        #!ipxe
        echo BareMetal: node {mac} {NotAssignedMarker}; asking again in {RetrySeconds} s
        sleep {RetrySeconds}
        chain --autofree {baseUrl}/boot/${"{mac}"}.ipxe || goto retry
        :retry
        sleep {RetrySeconds}
        chain --replace --autofree {baseUrl}/boot/${"{mac}"}.ipxe

        """;

    /// <summary>Boots the node from its disk over HTTP range or iSCSI (iPXE `sanboot` takes either URI).</summary>
    public static string Stream(string diskUrl) =>
        $"""
        #!ipxe
        echo BareMetal: streaming {diskUrl}
        sanboot --no-describe {diskUrl} || goto failed
        :failed
        echo BareMetal: sanboot failed, retrying in {RetrySeconds} s
        sleep {RetrySeconds}
        sanboot --no-describe {diskUrl}

        """;

    /// <summary>
    /// Boots the first local hard disk (BIOS drive 0x80); when that fails (UEFI has no drive numbers,
    /// or no disk), `exit` hands back to the firmware's next boot option.
    /// </summary>
    public static string Local(string mac) =>
        $"""
        #!ipxe
        echo BareMetal: node {mac} boots its local disk
        sanboot --no-describe --drive 0x80 || exit

        """;

    /// <summary>The node is assigned but cannot boot what it is assigned now: say why, wait, ask again.</summary>
    public static string Waiting(string mac, string baseUrl, string reason) =>
        $"""
        #!ipxe
        echo BareMetal: node {mac}: {reason}; asking again in {RetrySeconds} s
        sleep {RetrySeconds}
        chain --replace --autofree {baseUrl.TrimEnd('/')}/boot/${"{mac}"}.ipxe

        """;

    private static string Describe(Node node) =>
        node.ImageVersion is { } v ? ImageNames.Versioned(node.ImageName ?? "?", v) : $"{node.ImageName ?? "(none)"} (latest)";
}

using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Core.Security;

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
    /// <param name="secrets">The deployment's secrets: the key in the disk URL and on callbacks, the CHAP
    /// secrets for iSCSI. Null only for renderings nobody boots (tests, previews): URLs then carry no key.</param>
    public static string Render(string mac, Node? node, CatalogImage? image, string baseUrl, IscsiPortal? iscsi = null, NodeSecrets? secrets = null)
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
            NodeMode.Stream when image is { Status: CatalogImageStatus.Ready } => iscsi is null
                ? Stream(DiskUrl(b, image, node, secrets?.ExportKey))
                : Stream(iscsi.SanUri(image.ExportName, node.CompactMac), ChapLines(secrets)),
            NodeMode.Stream => Waiting(mac, b, $"image {Describe(node)} is not available"),
            NodeMode.Deploy when image is { Status: CatalogImageStatus.Ready } => Deploy(mac, b, image, secrets?.ExportKey),
            NodeMode.Deploy => Waiting(mac, b, $"image {Describe(node)} is not available"),
            _ => Waiting(mac, b, $"mode {node.Mode.ToString().ToLowerInvariant()} is reserved and not implemented yet"),
        };
    }

    /// <summary>
    /// "{base}/disk/debian.v3@525400123456~KEY": the HTTP-range export of the node's overlay of that
    /// version, with the deployment's key (the block service opens it for no one else).
    /// </summary>
    public static string DiskUrl(string baseUrl, CatalogImage image, Node node, string? key = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(node);
        return $"{baseUrl.TrimEnd('/')}/disk/{image.ExportName}@{node.CompactMac}{(key is null ? "" : "~" + key)}";
    }

    /// <summary>
    /// iPXE settings for an iSCSI login with CHAP: the node proves itself (username/password) and the
    /// target proves itself back (reverse-username/reverse-password: mutual CHAP), both with this
    /// deployment's secrets. Empty without secrets.
    /// </summary>
    public static string ChapLines(NodeSecrets? secrets) => secrets is null ? "" :
        $"""
        set username {secrets.ChapUser}
        set password {secrets.ChapSecret}
        set reverse-username {secrets.ChapUser}
        set reverse-password {secrets.TargetChapSecret}

        """;

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

    /// <summary>Boots the node from its disk over HTTP range or iSCSI (iPXE `sanboot` takes either URI); <paramref name="settings"/> go first (CHAP).</summary>
    public static string Stream(string diskUrl, string settings = "") =>
        $"""
        #!ipxe
        {settings}echo BareMetal: streaming {WithoutKey(diskUrl)}
        sanboot --no-describe {diskUrl} || goto failed
        :failed
        echo BareMetal: sanboot failed, retrying in {RetrySeconds} s
        sleep {RetrySeconds}
        sanboot --no-describe {diskUrl}

        """;

    /// <summary>"{base}/disk/debian.v3": the read-only HTTP-range export of that image version (no overlay: deploy copies it as it is).</summary>
    public static string ImageUrl(string baseUrl, CatalogImage image)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentNullException.ThrowIfNull(image);
        return $"{baseUrl.TrimEnd('/')}/disk/{image.ExportName}";
    }

    /// <summary>"{base}/boot/52:54:00:12:34:56/deploy-done?key=KEY": the node says its copy succeeded; the answer boots the local disk.</summary>
    public static string DeployDoneUrl(string baseUrl, string mac, string? key = null) =>
        $"{baseUrl.TrimEnd('/')}/boot/{mac}/{DeployDonePath}{(key is null ? "" : "?key=" + key)}";

    /// <summary>"{base}/boot/52:54:00:12:34:56/deploy-failed?key=KEY&amp;reason=...": the node says its deploy failed.</summary>
    public static string DeployFailedUrl(string baseUrl, string mac, string reason, string? key = null) =>
        $"{baseUrl.TrimEnd('/')}/boot/{mac}/{DeployFailedPath}?{(key is null ? "" : "key=" + key + "&")}reason={Uri.EscapeDataString(reason)}";

    /// <summary>A URL or SAN URI as it may be shown on a console: an export key ("~...") is cut off.</summary>
    public static string WithoutKey(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var tilde = url.IndexOf('~', StringComparison.Ordinal);
        return tilde < 0 ? url : url[..tilde];
    }

    /// <summary>Last path segment of the done route.</summary>
    public const string DeployDonePath = "deploy-done";

    /// <summary>Last path segment of the failed route.</summary>
    public const string DeployFailedPath = "deploy-failed";

    /// <summary>
    /// Deploy mode: copy the image onto the local disk, then boot that disk.
    /// <para>
    /// `sanhook` makes the image's read-only HTTP-range export a BIOS INT 13h drive without booting
    /// it; the copier (<see cref="DeployCopier"/>, a PXE NBP iPXE runs at 0000:7C00 and that returns
    /// to this script) copies it sector by sector onto drive 0x80. Drive numbers: iPXE's int13.c gives a
    /// hooked drive a "natural" number, 0x80 + the BIOS's hard-disk count (BDA 40:75), and when the
    /// drive asked for is another one, it remaps that natural number to the BIOS disk the SAN drive
    /// displaced. The default (0x80) would therefore push the local disk to 0x81. Asking for 0x81 on a
    /// node with one local disk takes exactly the natural number: nothing is remapped and the local
    /// disk stays 0x80 (seen in QEMU with one IDE disk: the copy lands on it). With more local disks
    /// the second one moves up instead, and 0x80, the destination, still never moves.
    /// </para>
    /// <para>
    /// A drive left hooked by an earlier attempt in the same iPXE (a failed deploy asks again without a
    /// reboot) is unhooked first: hooking 0x81 again fails with "Could not open SAN device" (EADDRINUSE).
    /// </para>
    /// <para>
    /// Then the done URL (which records the deployment done) answers <see cref="BootLocalAfterDeploy"/>;
    /// any failure fetches the failed URL with a reason, which records it and waits. UEFI has no INT
    /// 13h drives: `${platform}` is "efi" there, and `sanhook` makes the image an EFI block device
    /// instead; the UEFI copier (<see cref="DeployCopierEfi"/>, an EFI application) copies it, and
    /// after done the same application in boot mode starts the local disk's \EFI\BOOT\BOOTX64.EFI.
    /// </para>
    /// </summary>
    public static string Deploy(string mac, string baseUrl, CatalogImage image, string? key = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var b = baseUrl.TrimEnd('/');
        var url = ImageUrl(b, image);
        var san = $"0x{DeployCopier.SanDrive:x2}";
        return $"""
            #!ipxe
            echo BareMetal: node {mac} deploys {url} to its local disk
            iseq ${"{platform}"} pcbios || goto efi
            sanunhook --drive {san} || goto hook
            :hook
            sanhook --no-describe --drive {san} {url} || goto hook_failed
            chain --autofree {b}/boot/{DeployCopier.FileName}?bytes={image.VirtualSize} || goto copy_failed
            chain --replace --autofree {DeployDoneUrl(b, mac, key)} || goto done_unreachable
            :done_unreachable
            echo BareMetal: the copy is complete but the server did not answer; booting the local disk
            sanunhook --drive {san} || goto unhooked
            :unhooked
            sanboot --no-describe --drive 0x{DeployCopier.LocalDrive:x2} || exit
            :efi
            sanunhook --drive {san} || goto efi_hook
            :efi_hook
            sanhook --no-describe --drive {san} {url} || goto hook_failed
            chain --autofree {b}/boot/{DeployCopierEfi.FileName}?bytes={image.VirtualSize} || goto copy_failed
            chain --replace --autofree {DeployDoneUrl(b, mac, key)} || goto efi_done_unreachable
            :efi_done_unreachable
            echo BareMetal: the copy is complete but the server did not answer; booting the local disk
            sanunhook --drive {san} || goto efi_unhooked
            :efi_unhooked
            chain --autofree {b}/boot/{DeployCopierEfi.BootFileName} || exit
            :hook_failed
            chain --replace --autofree {DeployFailedUrl(b, mac, "sanhook of the image failed", key)}
            :copy_failed
            sanunhook --drive {san} || goto report
            :report
            chain --replace --autofree {DeployFailedUrl(b, mac, "the copier failed (its reason is on the node's console)", key)}

            """;
    }

    /// <summary>The failed URL's answer: say why; ask again only after a minute (reassign the node to stop retrying).</summary>
    public static string DeployFailed(string mac, string baseUrl, string reason) =>
        $"""
        #!ipxe
        echo BareMetal: node {mac}: deploy failed: {reason.Replace("$", "", StringComparison.Ordinal)}
        echo BareMetal: asking again in {DeployFailedRetrySeconds} s (assign another mode to stop)
        sleep {DeployFailedRetrySeconds}
        chain --replace --autofree {baseUrl.TrimEnd('/')}/boot/${"{mac}"}.ipxe

        """;

    /// <summary>Seconds a node whose deploy failed waits before it asks for its script (and deploys) again.</summary>
    public const int DeployFailedRetrySeconds = 60;

    /// <summary>
    /// The done URL's answer: unhook the image, boot the freshly written local disk: BIOS drive 0x80, or
    /// on UEFI the copier in boot mode (a path relative to the server that answered, which iPXE resolves).
    /// </summary>
    public static string BootLocalAfterDeploy(string mac) =>
        $"""
        #!ipxe
        echo BareMetal: node {mac} is deployed; booting its local disk
        sanunhook --drive 0x{DeployCopier.SanDrive:x2} || goto unhooked
        :unhooked
        iseq ${"{platform}"} pcbios || goto efi
        sanboot --no-describe --drive 0x{DeployCopier.LocalDrive:x2} || exit
        :efi
        chain --autofree /boot/{DeployCopierEfi.BootFileName} || exit

        """;

    /// <summary>
    /// Boots the first local hard disk: BIOS drive 0x80, or on UEFI (no drive numbers) the copier's boot
    /// mode, which starts the disk's \EFI\BOOT\BOOTX64.EFI; when that fails (no disk, nothing
    /// bootable), `exit` hands back to the firmware's next boot option.
    /// </summary>
    public static string Local(string mac) =>
        $"""
        #!ipxe
        echo BareMetal: node {mac} boots its local disk
        iseq ${"{platform}"} pcbios || goto efi
        sanboot --no-describe --drive 0x80 || exit
        :efi
        chain --autofree /boot/{DeployCopierEfi.BootFileName} || exit

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

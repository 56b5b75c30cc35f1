namespace BareMetal.Provisioning.Web.Api;

/// <summary>An image version in the catalog, as the API shows it.</summary>
public sealed record ImageInfo(
    long Id,
    string Name,
    int Version,
    string Format,
    string Sha256,
    long VirtualSize,
    long AllocatedSize,
    int? ClusterSize,
    IReadOnlyList<string> BackingChain,
    string? OsLabel,
    string? Notes,
    DateTimeOffset ImportedAt,
    string ExportName,
    string Status);

/// <summary>POST /api/v1/images: import a file already on the server.</summary>
public sealed record ImportImageRequest(string Path, string? Name = null, string? OsLabel = null, string? Notes = null);

/// <summary>PATCH /api/v1/images/{name}: fields left out stay as they are.</summary>
public sealed record UpdateImageRequest(string? OsLabel = null, string? Notes = null);

/// <summary>GET /api/v1/images/{name}/map: the allocation map reduced to buckets for the picture.</summary>
public sealed record ImageMapInfo(string Name, int Version, long VirtualSize, IReadOnlyList<MapBucket> Buckets);

/// <summary>One bucket of the map: fractions (0..1) of its bytes that hold data, read as zero, or are holes.</summary>
public sealed record MapBucket(long Start, long Length, double Data, double Zero, double Hole);

/// <summary>A node, as the API shows it.</summary>
public sealed record NodeInfo(
    string Mac,
    string? Hostname,
    string? Architecture,
    string? Uuid,
    string? Firmware,
    string? Ip,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    string? Image,
    int? ImageVersion,
    string? Mode,
    bool AddedByHand,
    string? State,
    string? PinnedIp = null);

/// <summary>POST /api/v1/nodes: add a node by hand; <paramref name="Ip"/> pins the address its boot script and callbacks are accepted from.</summary>
public sealed record AddNodeRequest(string Mac, string? Hostname = null, string? Architecture = null, string? Ip = null);

/// <summary>PUT /api/v1/nodes/{mac}/assignment: which image it boots, and how.</summary>
public sealed record AssignRequest(string Image, string Mode = "stream", int? Version = null);

/// <summary>POST /api/v1/nodes/{mac}/events: what a node reports about itself.</summary>
public sealed record NodeEventRequest(string Event, string? Detail = null, double? CopyPercent = null);

/// <summary>A node's deployment: current state, progress, and the states it went through.</summary>
public sealed record DeploymentInfo(
    long Id,
    string Mac,
    string State,
    string Mode,
    string? Image,
    int? ImageVersion,
    DateTimeOffset StartedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? EndedAt,
    ProgressInfo Progress,
    string? Error,
    IReadOnlyList<DeploymentStep> History);

/// <summary>One transition: from (null at the start), to, when, what caused it (dhcp, tftp, boot-script, disk, node, manual).</summary>
public sealed record DeploymentStep(string? From, string State, DateTimeOffset At, string Source, string? Detail);

public sealed record ProgressInfo(long BytesStreamed, long BlocksFetched, long OverlayBytes, double CopyPercent);

/// <summary>POST /api/v1/nodes/{mac}/commit: the new image the node's disk becomes.</summary>
public sealed record CommitRequest(string Name, string? OsLabel = null, string? Notes = null);

/// <summary>POST /api/v1/nodes/{mac}/reset answer.</summary>
public sealed record ResetResult(string Mac, int OverlaysRemoved);

/// <summary>
/// One Server-Sent Event's data (GET /api/v1/events): what changed, when, and the thing as it is now
/// (node, image or deployment; none for a removal, where only the MAC or name is given).
/// </summary>
public sealed record ChangeEvent(
    string Change,
    DateTimeOffset At,
    string? Mac = null,
    NodeInfo? Node = null,
    ImageInfo? Image = null,
    DeploymentInfo? Deployment = null,
    string? Setting = null);

/// <summary>
/// An export's (or one client's) counters since this server opened the export. Blocks are the
/// counters' regions (<see cref="BlockSize"/> bytes, 64 KiB unless the disk is huge).
/// </summary>
/// <param name="BlocksTouched">Distinct blocks read or written, of <see cref="Blocks"/>.</param>
/// <param name="ReadRegionCount">Separate ranges read (adjacent blocks merge).</param>
/// <param name="ReadBytesCovered">Bytes of the disk inside those ranges.</param>
public sealed record ExportCountersInfo(
    long BytesRead,
    long BytesWritten,
    long Requests,
    long BlocksTouched,
    long Blocks,
    long BlockSize,
    long ReadRegionCount,
    long ReadBytesCovered);

/// <summary>GET /api/v1/exports item: one export, its total counters and how many clients it has seen.</summary>
/// <param name="Node">MAC of the node whose overlay this is; null for a base export.</param>
public sealed record ExportSummaryInfo(string Name, string? Node, string? Description, bool ReadOnly, long SizeBytes, ExportCountersInfo Counters, int Clients);

/// <summary>GET /api/v1/exports/{name}: one export with the ranges read, as [offset, length], and per client.</summary>
public sealed record ExportInfo(
    string Name,
    string? Node,
    string? Description,
    bool ReadOnly,
    long SizeBytes,
    ExportCountersInfo Counters,
    IReadOnlyList<long[]> ReadRegions,
    IReadOnlyList<ExportClientInfo> Clients);

/// <summary>One client (IP address) of an export.</summary>
public sealed record ExportClientInfo(string Client, ExportCountersInfo Counters, IReadOnlyList<long[]> ReadRegions);

/// <summary>GET /api/v1/audit: one entry of the audit log.</summary>
public sealed record AuditInfo(long Id, DateTimeOffset At, string Actor, string? Source, string Action, string? Target, string Outcome, string? Detail);

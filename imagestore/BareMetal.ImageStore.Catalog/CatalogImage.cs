using BareMetal.ImageStore.Formats;

namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// One version of one image in the catalog. Immutable once imported except for
/// <see cref="OsLabel"/> and <see cref="Notes"/>: a changed image is a new version.
/// </summary>
/// <param name="Id">Database id, unique across names and versions.</param>
/// <param name="Name">See <see cref="ImageNames"/>.</param>
/// <param name="Version">1 for the first import of a name, then N+1.</param>
/// <param name="Format">Probed from the content, never the file name.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the stored file, computed while it streamed in.</param>
/// <param name="VirtualSize">Guest-visible disk size in bytes.</param>
/// <param name="AllocatedSize">Bytes the host file system allocated for the file when imported.</param>
/// <param name="FileSize">Length of the stored file in bytes (what was uploaded).</param>
/// <param name="ClusterSize">Cluster, block or grain size; null for raw and ISO.</param>
/// <param name="BackingChain">
/// Catalog images below this one, top first, as their <see cref="RelativePath"/> ("images/base.v1.qcow2");
/// empty for a standalone image. Every link was a READY row when this one was imported.
/// </param>
/// <param name="OsLabel">Free text, e.g. "Debian 13".</param>
/// <param name="Notes">Free text.</param>
/// <param name="RelativePath">Path of the file relative to the data directory, '/'-separated ("images/debian.v3.qcow2").</param>
/// <param name="ImportedAt">When the import committed.</param>
/// <param name="Status">Ready, or Missing when the file vanished behind the catalog's back.</param>
public sealed record CatalogImage(
    long Id,
    string Name,
    int Version,
    ImageFormat Format,
    string Sha256,
    long VirtualSize,
    long AllocatedSize,
    long FileSize,
    int? ClusterSize,
    IReadOnlyList<string> BackingChain,
    string OsLabel,
    string Notes,
    string RelativePath,
    DateTimeOffset ImportedAt,
    CatalogImageStatus Status)
{
    /// <summary>"debian.v3": the name the block service exports this version under (per node: "debian.v3@525400123456").</summary>
    public string ExportName => ImageNames.Versioned(Name, Version);

    /// <summary>qemu's name for the format ("raw", "qcow2", "vpc", "vhdx", "vmdk", "iso9660").</summary>
    public string FormatName => ImageFormatException.FormatName(Format);
}

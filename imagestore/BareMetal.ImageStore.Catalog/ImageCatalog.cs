using System.Buffers;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using BareMetal.ImageStore.Catalog.Data;
using BareMetal.ImageStore.Formats;

namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// <see cref="IImageCatalog"/> over <see cref="SqlDatabase"/> and data/images.
/// <para>
/// Crash safety. An import writes data/images/.incoming/RANDOM.part, fsyncs it, then in one write
/// transaction: inserts the row, renames the file to data/images/NAME.vN.EXT, commits. Until the commit
/// no reader sees the row; if the commit fails the rename is undone. A crash can therefore leave only
/// (a) a .part file, or (b) a renamed file without a row (crash between rename and commit). A delete
/// commits the row's removal first, then deletes the file, so a crash leaves (b) again. Both are
/// repaired by <see cref="ReconcileAsync"/> when the catalog opens: (a) is deleted, (b) is moved to
/// data/images/.orphans (not deleted: it might be someone's only copy). A row whose file is gone
/// (deleted by hand) is marked <see cref="CatalogImageStatus.Missing"/>, not dropped.
/// </para>
/// </summary>
public sealed partial class ImageCatalog : IImageCatalog
{
    private const string Columns =
        "id, name, version, format, sha256, virtual_size, allocated_size, file_size, cluster_size, backing_chain, os_label, notes, path, imported_at, status";

    /// <summary>Copy buffer of an import.</summary>
    private const int CopyBufferBytes = 1 << 20;

    /// <summary>Attempts when an insert still collides (a row written by hand or by an older build).</summary>
    private const int MaxVersionAttempts = 20;

    private readonly SqlDatabase _db;
    private readonly CatalogOptions _options;
    private IImageUsage? _usage;

    public ImageCatalog(SqlDatabase database, CatalogOptions options, IImageUsage? usage = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(options);
        _db = database;
        _options = options;
        _usage = usage;
        LastRecovery = new CatalogRecoveryReport([], [], [], []);
    }

    /// <summary>Raised after every committed change.</summary>
    public event EventHandler<ImageChange>? Changed;

    public CatalogRecoveryReport LastRecovery { get; private set; }

    public CatalogOptions Options => _options;

    /// <summary>Sets the delete guard after construction (the node registry is built after the catalog).</summary>
    public void UseUsageGuard(IImageUsage usage) => _usage = usage ?? throw new ArgumentNullException(nameof(usage));

    /// <summary>Migrates the catalog schema, creates the folders and reconciles files with rows.</summary>
    public static async Task<ImageCatalog> OpenAsync(SqlDatabase database, CatalogOptions options, IImageUsage? usage = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(database);
        await database.MigrateAsync(CatalogMigrations.All, cancellationToken);
        var catalog = new ImageCatalog(database, options, usage);
        await catalog.ReconcileAsync(cancellationToken);
        return catalog;
    }

    [GeneratedRegex(@"^(?<stem>[A-Za-z0-9][A-Za-z0-9._-]{0,63}\.v[0-9]+)\.(img|qcow2|vhd|vhdx|vmdk|iso)$", RegexOptions.CultureInvariant)]
    private static partial Regex CatalogFileName();

    /// <summary>
    /// Repairs what a crash or a hand edit left (see the class comment). Runs at open; safe to run again.
    /// </summary>
    public async Task<CatalogRecoveryReport> ReconcileAsync(CancellationToken cancellationToken = default)
    {
        Directory.CreateDirectory(_options.ImagesDirectory);
        Directory.CreateDirectory(_options.IncomingDirectory);
        var partials = new List<string>();
        foreach (var part in Directory.EnumerateFiles(_options.IncomingDirectory))
        {
            TryDelete(part);
            partials.Add(Path.GetFileName(part));
        }
        var rows = await ListAsync(null, cancellationToken);
        var known = rows.Select(r => r.RelativePath).ToHashSet(StringComparer.Ordinal);
        var orphans = new List<string>();
        foreach (var file in Directory.EnumerateFiles(_options.ImagesDirectory).Order(StringComparer.Ordinal))
        {
            var fileName = Path.GetFileName(file);
            if (!CatalogFileName().IsMatch(fileName) || known.Contains(RelativePathOf(fileName)))
            {
                continue;
            }
            Directory.CreateDirectory(_options.OrphansDirectory);
            var target = Path.Combine(_options.OrphansDirectory, fileName);
            if (File.Exists(target))
            {
                target = Path.Combine(_options.OrphansDirectory, $"{fileName}.{Guid.NewGuid():N}");
            }
            File.Move(file, target);
            orphans.Add(fileName);
        }
        var missing = new List<string>();
        var found = new List<string>();
        foreach (var row in rows)
        {
            var exists = File.Exists(GetFullPath(row));
            var status = exists ? CatalogImageStatus.Ready : CatalogImageStatus.Missing;
            if (status == row.Status)
            {
                continue;
            }
            await using (var s = await _db.WriteAsync(cancellationToken))
            {
                await s.ExecuteAsync("UPDATE images SET status = @s WHERE id = @id", cancellationToken, ("@s", (int)status), ("@id", row.Id));
                await s.CommitAsync(cancellationToken);
            }
            (exists ? found : missing).Add(row.ExportName);
            Changed?.Invoke(this, new ImageChange(ImageChangeKind.StatusChanged, row with { Status = status }));
        }
        LastRecovery = new CatalogRecoveryReport(partials, orphans, missing, found);
        return LastRecovery;
    }

    public async Task<IReadOnlyList<CatalogImage>> ListAsync(string? name = null, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.ReadAsync(cancellationToken);
        return name is null
            ? await s.QueryAsync($"SELECT {Columns} FROM images ORDER BY name, version DESC", ReadImage, cancellationToken)
            : await s.QueryAsync($"SELECT {Columns} FROM images WHERE name = @n ORDER BY version DESC", ReadImage, cancellationToken, ("@n", name));
    }

    public async Task<CatalogImage?> GetAsync(string name, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using var s = await _db.ReadAsync(cancellationToken);
        return await FindAsync(s, name, version, false, cancellationToken);
    }

    public async Task<CatalogImage?> GetByIdAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var s = await _db.ReadAsync(cancellationToken);
        return await s.QuerySingleAsync($"SELECT {Columns} FROM images WHERE id = @id", ReadImage, cancellationToken, ("@id", id));
    }

    /// <summary>
    /// Looks an image up inside someone else's session (the node registry checks assignments this way,
    /// in its own transaction). <paramref name="forUpdate"/> locks the row on PostgreSQL.
    /// </summary>
    public static Task<CatalogImage?> FindAsync(DbSession session, string name, int? version, bool forUpdate, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        var lockClause = forUpdate ? session.Dialect.ForUpdate : "";
        return version is { } v
            ? session.QuerySingleAsync($"SELECT {Columns} FROM images WHERE name = @n AND version = @v{lockClause}", ReadImage, cancellationToken, ("@n", name), ("@v", v))
            : session.QuerySingleAsync($"SELECT {Columns} FROM images WHERE name = @n ORDER BY version DESC LIMIT 1{lockClause}", ReadImage, cancellationToken, ("@n", name));
    }

    public async Task<CatalogImage> ImportFileAsync(string path, ImageImportRequest request, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(request);
        CheckRequest(request);
        FileStream source;
        try
        {
            source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageImportException(CatalogErrorKind.Invalid, $"{path}: cannot read: {e.Message}", null, e);
        }
        await using (source)
        {
            return await ImportStreamAsync(source, source.Length, request, progress, cancellationToken);
        }
    }

    public async Task<CatalogImage> ImportStreamAsync(Stream content, long? length, ImageImportRequest request, IProgress<ImportProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(request);
        CheckRequest(request);
        if (length > _options.MaxImageBytes)
        {
            throw new ImageImportException(CatalogErrorKind.TooLarge, $"{request.Name}: {length} bytes is more than the {_options.MaxImageBytes} bytes an image may have");
        }
        Directory.CreateDirectory(_options.IncomingDirectory);
        var part = Path.Combine(_options.IncomingDirectory, $"{Guid.NewGuid():N}.part");
        var committed = false;
        try
        {
            var (bytes, sha) = await ReceiveAsync(content, length, request.Name, part, progress, cancellationToken);
            progress?.Report(new ImportProgress(ImportPhase.Verifying, bytes, length));
            var facts = await VerifyAsync(part, request.Name, bytes, cancellationToken);
            progress?.Report(new ImportProgress(ImportPhase.Committing, bytes, length));
            var image = await CommitAsync(part, request, facts with { Sha256 = sha, FileSize = bytes }, cancellationToken);
            committed = true;
            progress?.Report(new ImportProgress(ImportPhase.Done, bytes, length));
            Changed?.Invoke(this, new ImageChange(ImageChangeKind.Imported, image));
            return image;
        }
        finally
        {
            if (!committed)
            {
                TryDelete(part);
            }
        }
    }

    private void CheckRequest(ImageImportRequest request)
    {
        ImageNames.Validate(request.Name);
        CatalogLimits.CheckText("OS label", request.OsLabel, CatalogLimits.MaxOsLabelLength, multiline: false);
        CatalogLimits.CheckText("notes", request.Notes, CatalogLimits.MaxNotesLength, multiline: true);
    }

    private async Task<(long Bytes, string Sha256)> ReceiveAsync(Stream content, long? length, string name, string part, IProgress<ImportProgress>? progress, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long total = 0;
            var nextReport = 0L;
            await using (var file = new FileStream(part, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
            {
                progress?.Report(new ImportProgress(ImportPhase.Receiving, 0, length));
                while (true)
                {
                    int n;
                    try
                    {
                        n = await content.ReadAsync(buffer.AsMemory(0, CopyBufferBytes), cancellationToken);
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        throw new ImageImportException(CatalogErrorKind.Invalid, $"{name}: upload failed after {total} bytes: {e.Message}", null, e);
                    }
                    if (n == 0)
                    {
                        break;
                    }
                    total += n;
                    if (total > _options.MaxImageBytes || total > length)
                    {
                        throw new ImageImportException(CatalogErrorKind.TooLarge,
                            total > _options.MaxImageBytes
                                ? $"{name}: upload is larger than the {_options.MaxImageBytes} bytes an image may have"
                                : $"{name}: upload is longer than the {length} bytes announced");
                    }
                    hash.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                    if (total >= nextReport)
                    {
                        progress?.Report(new ImportProgress(ImportPhase.Receiving, total, length));
                        nextReport = total + CatalogLimits.ProgressStepBytes;
                    }
                }
                if (length is { } expected && total != expected)
                {
                    throw new ImageImportException(CatalogErrorKind.Invalid, $"{name}: upload ended after {total} of {expected} bytes");
                }
                if (total == 0)
                {
                    throw new ImageImportException(CatalogErrorKind.Invalid, $"{name}: the image is empty");
                }
                await file.FlushAsync(cancellationToken);
                // Durable before it can become visible: a crash after commit must not leave a short file.
                file.Flush(flushToDisk: true);
            }
            return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>What the format reader says about a received file, before it is committed.</summary>
    private sealed record ImageFacts(ImageFormat Format, long VirtualSize, long AllocatedSize, int? ClusterSize, IReadOnlyList<string> BackingChain, string Sha256, long FileSize);

    private async Task<ImageFacts> VerifyAsync(string part, string name, long bytes, CancellationToken cancellationToken)
    {
        RefuseDescriptorVmdk(part, name);
        var top = VerifyLayer(part, name, name);
        if (top.Details.BackingFile is null)
        {
            return new ImageFacts(top.Format, top.Length, top.Details.AllocatedSize, top.Details.ClusterSize, [], "", bytes);
        }
        var rows = (await ListAsync(null, cancellationToken)).ToDictionary(r => GetFullPath(r), StringComparer.Ordinal);
        var chain = new List<string>();
        var of = name;
        var layer = top;
        while (layer.Details.BackingFile is { } backing)
        {
            var baseImage = ResolveBacking(name, layer.Format, of, backing, rows);
            if (chain.Contains(baseImage.RelativePath, StringComparer.Ordinal))
            {
                throw ChainError(name, layer.Format, $"backing chain loops back to {baseImage.RelativePath}");
            }
            // One layer is kept free for the node overlay the block service puts on top.
            if (chain.Count + 2 >= ImageLimits.MaxChainDepth)
            {
                throw ChainError(name, layer.Format, $"backing chain deeper than {ImageLimits.MaxChainDepth - 2} layers");
            }
            if (layer.Details.BackingFormat is { } declared && declared != baseImage.Format)
            {
                throw ChainError(name, layer.Format,
                    $"{of} names its backing file {backing} as {ImageFormatException.FormatName(declared)}, but {baseImage.ExportName} is {baseImage.FormatName}");
            }
            chain.Add(baseImage.RelativePath);
            of = baseImage.ExportName;
            layer = VerifyLayer(GetFullPath(baseImage), name, of);
        }
        return new ImageFacts(top.Format, top.Length, top.Details.AllocatedSize, top.Details.ClusterSize, chain, "", bytes);
    }

    /// <summary>
    /// Finds the catalog image a backing name points at. The name is resolved against the images
    /// directory, not the upload's own folder (data/images/.incoming, or wherever the imported file
    /// was): the stored file will sit in data/images, where the formats library resolves relative names
    /// against its own directory as qemu does. So "base.v1.qcow2" and an absolute path into data/images
    /// both keep working after the move; anything else would break (or read someone else's file).
    /// </summary>
    private CatalogImage ResolveBacking(string name, ImageFormat format, string of, string backing, Dictionary<string, CatalogImage> rows)
    {
        if (backing.Contains('\0', StringComparison.Ordinal) || backing.Contains("://", StringComparison.Ordinal) || backing.StartsWith("json:", StringComparison.Ordinal))
        {
            throw ChainError(name, format, $"{of}: backing file '{Escape(backing)}' is not a local file");
        }
        var images = Path.GetFullPath(_options.ImagesDirectory);
        var full = Path.GetFullPath(Path.IsPathRooted(backing) ? backing : Path.Combine(images, backing));
        if (!string.Equals(Path.GetDirectoryName(full), images, StringComparison.Ordinal))
        {
            throw ChainError(name, format,
                $"{of}: backing file '{Escape(backing)}' is outside the catalog ({full}); import the base first and rebase onto it (qemu-img rebase -u -b NAME.vN.EXT)");
        }
        if (!rows.TryGetValue(full, out var image))
        {
            throw ChainError(name, format, File.Exists(full)
                ? $"{of}: backing file '{Escape(backing)}' is not a catalog image ({RelativePathOf(Path.GetFileName(full))} has no row)"
                : $"{of}: backing file '{Escape(backing)}' not found in the catalog ({RelativePathOf(Path.GetFileName(full))})");
        }
        if (image.Status != CatalogImageStatus.Ready || !File.Exists(full))
        {
            throw ChainError(name, format, $"{of}: backing image {image.ExportName} is missing its file ({image.RelativePath})");
        }
        return image;
    }

    private static string Escape(string text) =>
        text.Length > 200 ? string.Concat(text.AsSpan(0, 200), "...") : string.Concat(text.Select(c => char.IsControl(c) ? '?' : c));

    private static ImageImportException ChainError(string name, ImageFormat format, string problem) =>
        new(CatalogErrorKind.Invalid, $"{name}: {ImageFormatException.FormatName(format)}: {problem}", ImageError.BadBackingChain);

    /// <summary>What one layer says about itself, after a structural check of that layer alone.</summary>
    private sealed record LayerFacts(ImageFormat Format, long Length, ImageDetails Details);

    /// <summary>
    /// Opens one layer without its backing file (the chain is resolved by the catalog, see
    /// <see cref="ResolveBacking"/>) and refuses it if corrupt; <paramref name="label"/> names the layer
    /// in the message when it is a base rather than the upload.
    /// </summary>
    private static LayerFacts VerifyLayer(string path, string name, string label)
    {
        var prefix = label == name ? "" : $"{label}: ";
        try
        {
            using var disk = DiskImage.Open(path, new OpenOptions { FollowBacking = false });
            var details = disk.Describe();
            var report = disk.Check();
            if (report.Corruptions > 0)
            {
                throw new ImageImportException(CatalogErrorKind.Invalid,
                    $"{name}: {ImageFormatException.FormatName(disk.Format)}: {prefix}corrupt: {report.Findings.First(f => f.Severity == CheckSeverity.Corruption).Message}",
                    ImageError.BadHeader);
            }
            return new LayerFacts(disk.Format, disk.Length, details);
        }
        catch (ImageFormatException e)
        {
            throw new ImageImportException(CatalogErrorKind.Invalid, $"{name}: {ImageFormatException.FormatName(e.Format)}: {prefix}{e.Problem}", e.Reason, e);
        }
    }

    /// <summary>
    /// A VMDK text descriptor names its data in other files. Those would be resolved next to the upload
    /// (data/images/.incoming: other people's uploads) and later next to the stored image, so only
    /// self-contained sparse VMDKs ("KDMV" magic: monolithicSparse, streamOptimized) are taken.
    /// </summary>
    private static void RefuseDescriptorVmdk(string part, string name)
    {
        var head = new byte[1024];
        int n;
        long length;
        using (var f = new FileStream(part, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            length = f.Length;
            n = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        var format = DiskImage.Probe(head.AsSpan(0, n), length, offset =>
        {
            using var f = new FileStream(part, FileMode.Open, FileAccess.Read, FileShare.Read);
            f.Position = offset;
            var buf = new byte[8];
            var got = f.ReadAtLeast(buf, buf.Length, throwOnEndOfStream: false);
            return buf[..got];
        });
        if (format == ImageFormat.Vmdk && !head.AsSpan(0, n).StartsWith("KDMV"u8))
        {
            throw new ImageImportException(CatalogErrorKind.Invalid,
                $"{name}: vmdk: a descriptor file keeps its data in other files; import a monolithic sparse VMDK (or convert it)", ImageError.Unsupported);
        }
    }

    private static string Extension(ImageFormat format) => format switch
    {
        ImageFormat.Qcow2 => "qcow2",
        ImageFormat.Vhd => "vhd",
        ImageFormat.Vhdx => "vhdx",
        ImageFormat.Vmdk => "vmdk",
        ImageFormat.Iso => "iso",
        _ => "img",
    };

    private static string RelativePathOf(string fileName) => $"{CatalogOptions.ImagesFolder}/{fileName}";

    private async Task<CatalogImage> CommitAsync(string part, ImageImportRequest request, ImageFacts facts, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var s = await _db.WriteAsync(cancellationToken);
            // The upsert also locks the name's counter row until commit, so concurrent imports of one
            // name queue here on PostgreSQL too (SQLite already serialises writers).
            // Never below an existing row either (rows written by hand or restored from a backup).
            var floor = checked((int)((await s.ScalarInt64Async("SELECT MAX(version) FROM images WHERE name = @n", cancellationToken, ("@n", request.Name)) ?? 0) + 1));
            var version = checked((int)(await s.ScalarInt64Async(
                "INSERT INTO image_versions (name, last_version) VALUES (@n, @floor) ON CONFLICT (name) DO UPDATE SET last_version = " +
                "CASE WHEN image_versions.last_version + 1 > @floor THEN image_versions.last_version + 1 ELSE @floor END RETURNING last_version",
                cancellationToken, ("@n", request.Name), ("@floor", floor)) ?? throw new InvalidOperationException("version counter returned nothing")));
            foreach (var link in facts.BackingChain)
            {
                // Locked until commit, so a delete of the base cannot slip in between the check and the insert.
                var below = await s.ScalarInt64Async($"SELECT id FROM images WHERE path = @p AND status = 0{s.Dialect.ForUpdate}", cancellationToken, ("@p", link));
                if (below is null)
                {
                    throw new ImageImportException(CatalogErrorKind.Conflict,
                        $"{request.Name}: {ImageFormatException.FormatName(facts.Format)}: backing image {link} was deleted during the import", ImageError.BadBackingChain);
                }
            }
            var fileName = $"{ImageNames.Versioned(request.Name, version)}.{Extension(facts.Format)}";
            var relative = RelativePathOf(fileName);
            var full = Path.Combine(_options.ImagesDirectory, fileName);
            var now = _options.Time.GetUtcNow();
            long id;
            try
            {
                id = await s.ScalarInt64Async(
                    "INSERT INTO images (name, version, format, sha256, virtual_size, allocated_size, file_size, cluster_size, backing_chain, os_label, notes, path, imported_at, status) " +
                    "VALUES (@name, @version, @format, @sha, @vsize, @asize, @fsize, @cluster, @chain, @label, @notes, @path, @at, 0) RETURNING id",
                    cancellationToken,
                    ("@name", request.Name), ("@version", version), ("@format", (int)facts.Format), ("@sha", facts.Sha256),
                    ("@vsize", facts.VirtualSize), ("@asize", facts.AllocatedSize), ("@fsize", facts.FileSize), ("@cluster", facts.ClusterSize),
                    ("@chain", JsonSerializer.Serialize(facts.BackingChain)), ("@label", request.OsLabel ?? ""), ("@notes", request.Notes ?? ""),
                    ("@path", relative), ("@at", DbValues.ToUnixMs(now))) ?? throw new InvalidOperationException("INSERT returned no id");
            }
            catch (DbException e) when (s.Dialect.IsUniqueViolation(e) && attempt < MaxVersionAttempts)
            {
                // The counter lagged behind an existing row: the rolled-back counter is retried with the next number.
                continue;
            }
            if (File.Exists(full))
            {
                // A leftover with no row (it would have been moved at open unless it came in since): keep it aside.
                Directory.CreateDirectory(_options.OrphansDirectory);
                File.Move(full, Path.Combine(_options.OrphansDirectory, $"{fileName}.{Guid.NewGuid():N}"));
            }
            File.Move(part, full);
            try
            {
                await s.CommitAsync(cancellationToken);
            }
            catch
            {
                TryMove(full, part);
                throw;
            }
            return new CatalogImage(id, request.Name, version, facts.Format, facts.Sha256, facts.VirtualSize, facts.AllocatedSize, facts.FileSize,
                facts.ClusterSize, facts.BackingChain, request.OsLabel ?? "", request.Notes ?? "", relative, DateTimeOffset.FromUnixTimeMilliseconds(DbValues.ToUnixMs(now)),
                CatalogImageStatus.Ready);
        }
    }

    public async Task<CatalogImage> UpdateAsync(string name, int version, ImageMetadataUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(update);
        var label = update.OsLabel is null ? null : CatalogLimits.CheckText("OS label", update.OsLabel, CatalogLimits.MaxOsLabelLength, multiline: false);
        var notes = update.Notes is null ? null : CatalogLimits.CheckText("notes", update.Notes, CatalogLimits.MaxNotesLength, multiline: true);
        CatalogImage updated;
        await using (var s = await _db.WriteAsync(cancellationToken))
        {
            var image = await FindAsync(s, name, version, true, cancellationToken) ?? throw new ImageNotFoundException(name, version);
            updated = image with { OsLabel = label ?? image.OsLabel, Notes = notes ?? image.Notes };
            await s.ExecuteAsync("UPDATE images SET os_label = @l, notes = @o WHERE id = @id", cancellationToken,
                ("@l", updated.OsLabel), ("@o", updated.Notes), ("@id", image.Id));
            await s.CommitAsync(cancellationToken);
        }
        Changed?.Invoke(this, new ImageChange(ImageChangeKind.Updated, updated));
        return updated;
    }

    public async Task<IReadOnlyList<CatalogImage>> DeleteAsync(string name, int? version = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        List<CatalogImage> doomed;
        await using (var s = await _db.WriteAsync(cancellationToken))
        {
            doomed = version is { } v
                ? await s.QueryAsync($"SELECT {Columns} FROM images WHERE name = @n AND version = @v{s.Dialect.ForUpdate}", ReadImage, cancellationToken, ("@n", name), ("@v", v))
                : await s.QueryAsync($"SELECT {Columns} FROM images WHERE name = @n{s.Dialect.ForUpdate}", ReadImage, cancellationToken, ("@n", name));
            if (doomed.Count == 0)
            {
                throw new ImageNotFoundException(name, version);
            }
            if (_usage is not null)
            {
                var users = await _usage.UsersAsync(s, name, version, cancellationToken);
                if (users.Count > 0)
                {
                    throw new ImageInUseException(name, version, users);
                }
            }
            var doomedPaths = doomed.Select(d => d.RelativePath).ToHashSet(StringComparer.Ordinal);
            var layered = (await s.QueryAsync($"SELECT {Columns} FROM images", ReadImage, cancellationToken))
                .Where(i => !doomedPaths.Contains(i.RelativePath) && i.BackingChain.Any(doomedPaths.Contains))
                .Select(i => i.ExportName).Order(StringComparer.Ordinal).ToList();
            if (layered.Count > 0)
            {
                throw new ImageHasLayersException(name, version, layered);
            }
            foreach (var image in doomed)
            {
                await s.ExecuteAsync("DELETE FROM images WHERE id = @id", cancellationToken, ("@id", image.Id));
            }
            await s.CommitAsync(cancellationToken);
        }
        // After the commit: a crash here leaves files without rows, moved aside at the next open.
        foreach (var image in doomed)
        {
            TryDelete(GetFullPath(image));
            Changed?.Invoke(this, new ImageChange(ImageChangeKind.Deleted, image));
        }
        return doomed;
    }

    public string GetFullPath(CatalogImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        // Rows are written by us, but the database may be shared or edited: never follow a path out of data/.
        var full = Path.GetFullPath(Path.Combine(_options.DataDirectory, image.RelativePath));
        var root = Path.GetFullPath(_options.ImagesDirectory) + Path.DirectorySeparatorChar;
        return full.StartsWith(root, StringComparison.Ordinal)
            ? full
            : throw new CatalogException(CatalogErrorKind.Invalid, $"image '{image.ExportName}' has a path outside the images folder: {image.RelativePath}");
    }

    internal static CatalogImage ReadImage(DbDataReader r) => new(
        r.Int64("id"),
        r.String("name")!,
        r.Int32("version"),
        (ImageFormat)r.Int32("format"),
        r.String("sha256")!,
        r.Int64("virtual_size"),
        r.Int64("allocated_size"),
        r.Int64("file_size"),
        r.NullableInt32("cluster_size"),
        JsonSerializer.Deserialize<string[]>(r.String("backing_chain") ?? "[]") ?? [],
        r.String("os_label") ?? "",
        r.String("notes") ?? "",
        r.String("path")!,
        r.Time("imported_at"),
        (CatalogImageStatus)r.Int32("status"));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void TryMove(string from, string to)
    {
        try
        {
            File.Move(from, to, overwrite: true);
        }
        catch (IOException)
        {
        }
    }
}

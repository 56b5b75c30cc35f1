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

    /// <summary>Versions tried when concurrent imports of one name collide (PostgreSQL only; SQLite serialises writers).</summary>
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
            var facts = Verify(part, request.Name, bytes);
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

    private static ImageFacts Verify(string part, string name, long bytes)
    {
        try
        {
            using var disk = DiskImage.Open(part, new OpenOptions { FollowBacking = false });
            var details = disk.Describe();
            if (details.BackingFile is { } backing)
            {
                throw new ImageImportException(CatalogErrorKind.Invalid,
                    $"{name}: {ImageFormatException.FormatName(disk.Format)}: has a backing file ({backing}); import a standalone image (baremetal image convert flattens it)",
                    ImageError.BadBackingChain);
            }
            if (disk.Format == ImageFormat.Vmdk && details.Subformat is { } sub && !sub.Contains("monolithic", StringComparison.OrdinalIgnoreCase) && !sub.Contains("streamOptimized", StringComparison.OrdinalIgnoreCase))
            {
                throw new ImageImportException(CatalogErrorKind.Invalid,
                    $"{name}: vmdk: {sub} keeps its data in other files; import a monolithic VMDK or convert it", ImageError.Unsupported);
            }
            var report = disk.Check();
            if (report.Corruptions > 0)
            {
                throw new ImageImportException(CatalogErrorKind.Invalid,
                    $"{name}: {ImageFormatException.FormatName(disk.Format)}: corrupt: {report.Findings.First(f => f.Severity == CheckSeverity.Corruption).Message}",
                    ImageError.BadHeader);
            }
            return new ImageFacts(disk.Format, disk.Length, details.AllocatedSize, details.ClusterSize, [], "", bytes);
        }
        catch (ImageFormatException e)
        {
            throw new ImageImportException(CatalogErrorKind.Invalid, $"{name}: {ImageFormatException.FormatName(e.Format)}: {e.Problem}", e.Reason, e);
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
            var version = checked((int)((await s.ScalarInt64Async("SELECT MAX(version) FROM images WHERE name = @n", cancellationToken, ("@n", request.Name)) ?? 0) + 1));
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
                // Another server (PostgreSQL) took this version between our MAX and INSERT: try the next.
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

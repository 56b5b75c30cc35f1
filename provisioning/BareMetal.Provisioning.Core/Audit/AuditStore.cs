using System.Data.Common;
using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Catalog.Data;

namespace BareMetal.Provisioning.Core.Audit;

/// <summary>The audit log's table (migration 3), newest first on reading.</summary>
public sealed class AuditStore
{
    /// <summary>Most entries one read returns.</summary>
    public const int MaxPage = 1000;

    /// <summary>Longest text kept in any one field (a hostile client chooses names and reasons).</summary>
    public const int MaxFieldLength = 400;

    private readonly SqlDatabase _db;

    public AuditStore(SqlDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
    }

    public async Task AppendAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }
        await using var s = await _db.WriteAsync(cancellationToken);
        foreach (var r in records)
        {
            await s.ExecuteAsync(
                "INSERT INTO audit_log (at, actor, source, action, target, outcome, detail) VALUES (@at, @actor, @source, @action, @target, @outcome, @detail)",
                cancellationToken,
                ("@at", DbValues.ToUnixMs(r.At)), ("@actor", Clip(r.Actor) ?? "?"), ("@source", Clip(r.Source)), ("@action", Clip(r.Action) ?? "?"),
                ("@target", Clip(r.Target)), ("@outcome", (int)r.Outcome), ("@detail", Clip(r.Detail)));
        }
        await s.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Entries newest first: at most <paramref name="limit"/> (1..<see cref="MaxPage"/>), older than
    /// <paramref name="beforeId"/> when given (the next page), of one action or outcome when given.
    /// </summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(int limit = 100, long? beforeId = null, string? action = null, AuditOutcome? outcome = null,
        CancellationToken cancellationToken = default)
    {
        if (limit is < 1 or > MaxPage)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, $"limit is 1..{MaxPage}");
        }
        var where = new List<string>();
        var args = new List<(string, object?)> { ("@limit", limit) };
        if (beforeId is { } b)
        {
            where.Add("id < @before");
            args.Add(("@before", b));
        }
        if (action is { Length: > 0 })
        {
            where.Add("action = @action");
            args.Add(("@action", action));
        }
        if (outcome is { } o)
        {
            where.Add("outcome = @outcome");
            args.Add(("@outcome", (int)o));
        }
        var sql = "SELECT id, at, actor, source, action, target, outcome, detail FROM audit_log" +
                  (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY id DESC LIMIT @limit";
        await using var s = await _db.ReadAsync(cancellationToken);
        return await s.QueryAsync(sql, Read, cancellationToken, [.. args]);
    }

    private static AuditEntry Read(DbDataReader r) => new(
        r.Int64("id"),
        new AuditRecord(r.Time("at"), r.String("actor")!, r.String("source"), r.String("action")!, r.String("target"), (AuditOutcome)r.Int32("outcome"), r.String("detail")));

    private static string? Clip(string? s) => s is { Length: > MaxFieldLength } ? s[..MaxFieldLength] + "…" : s;
}

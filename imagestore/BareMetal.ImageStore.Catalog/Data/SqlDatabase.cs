using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace BareMetal.ImageStore.Catalog.Data;

/// <summary>
/// The database behind the catalog and provisioning: SQLite in <c>data/baremetal.db</c> by default
/// (WAL, busy timeout, foreign keys on every connection), or PostgreSQL when several servers share one
/// catalog. Hands out pooled connections and runs versioned migrations (see <see cref="MigrateAsync"/>).
/// </summary>
public sealed class SqlDatabase : IAsyncDisposable
{
    /// <summary>File name of the default SQLite database inside the data directory.</summary>
    public const string DefaultFileName = "baremetal.db";

    /// <summary>How long a writer waits for another writer's lock before it fails (SQLite busy timeout).</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    private readonly string? _sqliteConnectionString;
    private readonly NpgsqlDataSource? _postgres;

    private SqlDatabase(SqlDialect dialect, string description, string? sqlite, NpgsqlDataSource? postgres)
    {
        Dialect = dialect;
        Description = description;
        _sqliteConnectionString = sqlite;
        _postgres = postgres;
    }

    public SqlDialect Dialect { get; }

    /// <summary>Where the data lives, without any password (for logs and the settings page).</summary>
    public string Description { get; }

    /// <summary>
    /// Opens the database named by <paramref name="connection"/>: null or empty = SQLite in
    /// <paramref name="dataDirectory"/>/baremetal.db; <c>sqlite:PATH</c> = SQLite at PATH;
    /// <c>postgres://user:pass@host:port/db</c> (or <c>postgresql://</c>) or an Npgsql connection string
    /// (<c>Host=...;Database=...</c>) = PostgreSQL. Does not migrate.
    /// </summary>
    public static SqlDatabase Open(string? connection, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        if (string.IsNullOrWhiteSpace(connection))
        {
            Directory.CreateDirectory(dataDirectory);
            return OpenSqlite(Path.Combine(dataDirectory, DefaultFileName));
        }
        if (connection.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            var path = connection["sqlite:".Length..];
            return OpenSqlite(Path.IsPathRooted(path) ? path : Path.Combine(dataDirectory, path));
        }
        NpgsqlConnectionStringBuilder builder;
        if (connection.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
            connection.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            builder = PostgresUrl.Parse(connection);
        }
        else if (connection.Contains('=', StringComparison.Ordinal))
        {
            try
            {
                builder = new NpgsqlConnectionStringBuilder(connection);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"catalog: not a PostgreSQL connection string: {e.Message}", nameof(connection), e);
            }
        }
        else
        {
            throw new ArgumentException("catalog: expected postgres://user:pass@host:port/db, an Npgsql connection string or sqlite:PATH", nameof(connection));
        }
        var description = $"postgresql://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        return new SqlDatabase(SqlDialect.Postgres, description, null, NpgsqlDataSource.Create(builder));
    }

    private static SqliteConnectionStringBuilder SqliteBuilder(string path) => new()
    {
        DataSource = path,
        Mode = SqliteOpenMode.ReadWriteCreate,
        ForeignKeys = true,
        Pooling = true,
        DefaultTimeout = (int)BusyTimeout.TotalSeconds,
    };

    private static SqlDatabase OpenSqlite(string path)
    {
        var full = Path.GetFullPath(path);
        if (Path.GetDirectoryName(full) is { } dir)
        {
            Directory.CreateDirectory(dir);
        }
        var cs = SqliteBuilder(full).ToString();
        // WAL is a property of the database file: set once, it sticks. Readers then never block the writer.
        using (var c = new SqliteConnection(cs))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode=WAL;";
            cmd.ExecuteNonQuery();
        }
        return new SqlDatabase(SqlDialect.Sqlite, $"sqlite:{full}", cs, null);
    }

    /// <summary>An open connection (pooled), with no transaction.</summary>
    public async Task<DbSession> ReadAsync(CancellationToken cancellationToken = default) =>
        new(await OpenConnectionAsync(cancellationToken), null, Dialect);

    /// <summary>An open connection inside a write transaction. Dispose without commit rolls back.</summary>
    public async Task<DbSession> WriteAsync(CancellationToken cancellationToken = default)
    {
        var c = await OpenConnectionAsync(cancellationToken);
        try
        {
            var tx = await Dialect.BeginWriteAsync(c, cancellationToken);
            return new DbSession(c, tx, Dialect);
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    private async Task<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken);
        }
        var c = new SqliteConnection(_sqliteConnectionString);
        try
        {
            await c.OpenAsync(cancellationToken);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = $"PRAGMA busy_timeout={(int)BusyTimeout.TotalMilliseconds};";
            await cmd.ExecuteNonQueryAsync(cancellationToken);
            return c;
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Applies every migration not yet recorded in <c>schema_migrations</c>, in (module, version)
    /// order, each in its own transaction together with its record: running it twice, or from two
    /// servers at once (PostgreSQL takes an advisory lock), applies each step exactly once. A database
    /// that has a newer version of a module than this build knows is refused rather than guessed at.
    /// </summary>
    public async Task MigrateAsync(IEnumerable<Migration> migrations, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(migrations);
        var list = migrations.OrderBy(m => m.Module, StringComparer.Ordinal).ThenBy(m => m.Version).ToList();
        await using (var s = await WriteAsync(cancellationToken))
        {
            await Dialect.LockMigrationsAsync(s.Connection, s.Transaction!, cancellationToken);
            await s.ExecuteAsync(
                "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, " +
                "description TEXT NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (module, version))", cancellationToken);
            await s.CommitAsync(cancellationToken);
        }
        foreach (var module in list.GroupBy(m => m.Module, StringComparer.Ordinal))
        {
            await using var s = await ReadAsync(cancellationToken);
            var newest = await s.ScalarInt64Async("SELECT MAX(version) FROM schema_migrations WHERE module = @m", cancellationToken, ("@m", module.Key));
            var known = module.Max(m => m.Version);
            if (newest > known)
            {
                throw new InvalidOperationException(
                    $"{Description}: schema of '{module.Key}' is at version {newest}, newer than this build knows ({known}); upgrade baremetal");
            }
        }
        foreach (var m in list)
        {
            await using var s = await WriteAsync(cancellationToken);
            await Dialect.LockMigrationsAsync(s.Connection, s.Transaction!, cancellationToken);
            var done = await s.ScalarInt64Async("SELECT COUNT(*) FROM schema_migrations WHERE module = @m AND version = @v", cancellationToken,
                ("@m", m.Module), ("@v", m.Version));
            if (done > 0)
            {
                continue;
            }
            foreach (var statement in m.Statements)
            {
                await s.ExecuteAsync(Dialect.Translate(statement), cancellationToken);
            }
            await s.ExecuteAsync("INSERT INTO schema_migrations (module, version, description, applied_at) VALUES (@m, @v, @d, @t)", cancellationToken,
                ("@m", m.Module), ("@v", m.Version), ("@d", m.Description), ("@t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            await s.CommitAsync(cancellationToken);
        }
    }

    /// <summary>The applied migrations as (module, version), for diagnostics and tests.</summary>
    public async Task<IReadOnlyList<(string Module, int Version)>> AppliedMigrationsAsync(CancellationToken cancellationToken = default)
    {
        await using var s = await ReadAsync(cancellationToken);
        return await s.QueryAsync("SELECT module, version FROM schema_migrations ORDER BY module, version",
            r => (r.String("module")!, r.Int32("version")), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
        else
        {
            // Pooled SQLite connections keep the file open; a test that deletes the data dir needs them closed.
            SqliteConnection.ClearAllPools();
        }
    }
}

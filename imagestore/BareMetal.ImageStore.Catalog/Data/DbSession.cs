using System.Data.Common;
using System.Globalization;

namespace BareMetal.ImageStore.Catalog.Data;

/// <summary>
/// One open connection, optionally inside a write transaction, with small helpers so the stores read
/// as SQL and nothing else. Parameters are passed as (name, value) pairs; null becomes DBNull.
/// </summary>
public sealed class DbSession : IAsyncDisposable
{
    internal DbSession(DbConnection connection, DbTransaction? transaction, SqlDialect dialect)
    {
        Connection = connection;
        Transaction = transaction;
        Dialect = dialect;
    }

    public DbConnection Connection { get; }

    public DbTransaction? Transaction { get; }

    public SqlDialect Dialect { get; }

    public DbCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var cmd = Connection.CreateCommand();
        cmd.Transaction = Transaction;
#pragma warning disable CA2100 // SQL text is ours; values always travel as parameters.
        cmd.CommandText = sql;
#pragma warning restore CA2100
        foreach (var (name, value) in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            p.Value = value ?? DBNull.Value;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    public async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(sql, parameters);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The first column of the first row, or null when there is no row or it is NULL.</summary>
    public async Task<object?> ScalarAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var cmd = Command(sql, parameters);
        var v = await cmd.ExecuteScalarAsync(cancellationToken);
        return v is DBNull ? null : v;
    }

    public async Task<long?> ScalarInt64Async(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters) =>
        await ScalarAsync(sql, cancellationToken, parameters) is { } v ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : null;

    public async Task<List<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(map);
        await using var cmd = Command(sql, parameters);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(map(reader));
        }
        return rows;
    }

    public async Task<T?> QuerySingleAsync<T>(string sql, Func<DbDataReader, T> map, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
        where T : class
    {
        var rows = await QueryAsync(sql, map, cancellationToken, parameters);
        return rows.Count > 0 ? rows[0] : null;
    }

    public async Task CommitAsync(CancellationToken cancellationToken)
    {
        if (Transaction is null)
        {
            throw new InvalidOperationException("this session has no transaction");
        }
        await Transaction.CommitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (Transaction is not null)
        {
            await Transaction.DisposeAsync();
        }
        await Connection.DisposeAsync();
    }
}

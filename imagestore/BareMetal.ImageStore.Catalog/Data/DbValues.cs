using System.Data.Common;
using System.Globalization;

namespace BareMetal.ImageStore.Catalog.Data;

/// <summary>
/// Column readers that hide the providers' type differences (SQLite hands back Int64 for every
/// INTEGER, PostgreSQL Int32 for INTEGER and Int64 for BIGINT) and the time encoding (Unix ms).
/// </summary>
public static class DbValues
{
    public static long ToUnixMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static long? ToUnixMs(DateTimeOffset? t) => t?.ToUnixTimeMilliseconds();

    public static string? String(this DbDataReader r, string column)
    {
        ArgumentNullException.ThrowIfNull(r);
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : r.GetString(i);
    }

    public static long Int64(this DbDataReader r, string column) =>
        NullableInt64(r, column) ?? throw new InvalidOperationException($"column {column} is NULL");

    public static long? NullableInt64(this DbDataReader r, string column)
    {
        ArgumentNullException.ThrowIfNull(r);
        var i = r.GetOrdinal(column);
        return r.IsDBNull(i) ? null : Convert.ToInt64(r.GetValue(i), CultureInfo.InvariantCulture);
    }

    public static int Int32(this DbDataReader r, string column) => checked((int)Int64(r, column));

    public static int? NullableInt32(this DbDataReader r, string column) => NullableInt64(r, column) is { } v ? checked((int)v) : null;

    public static double Double(this DbDataReader r, string column)
    {
        ArgumentNullException.ThrowIfNull(r);
        return Convert.ToDouble(r.GetValue(r.GetOrdinal(column)), CultureInfo.InvariantCulture);
    }

    public static DateTimeOffset Time(this DbDataReader r, string column) => DateTimeOffset.FromUnixTimeMilliseconds(Int64(r, column));

    public static DateTimeOffset? NullableTime(this DbDataReader r, string column) =>
        NullableInt64(r, column) is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
}

namespace BareMetal.TestSupport;

/// <summary>
/// Which catalog database a test runs against: every store fixture, and the main API fixtures, run once
/// per value (Postgres = a fresh database in <see cref="PostgresCluster"/>).
/// </summary>
public enum StoreBackend
{
    Sqlite,
    Postgres,
}

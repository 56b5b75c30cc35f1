namespace BareMetal.Provisioning.Tests.Support;

/// <summary>Which database a store test runs against; every store fixture runs once per value.</summary>
public enum StoreBackend
{
    Sqlite,
    Postgres,
}

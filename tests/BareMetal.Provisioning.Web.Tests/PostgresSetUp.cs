using BareMetal.TestSupport;

/// <summary>
/// Stops the shared PostgreSQL cluster (started by the first Postgres API fixture) after every test in
/// the assembly ran. Outside any namespace on purpose: a SetUpFixture only wraps its own namespace.
/// </summary>
[SetUpFixture]
#pragma warning disable CA1050 // Assembly-wide NUnit setup fixture must live in the global namespace.
public sealed class PostgresSetUp
#pragma warning restore CA1050
{
    [OneTimeTearDown]
    public void StopCluster() => PostgresCluster.StopShared();
}

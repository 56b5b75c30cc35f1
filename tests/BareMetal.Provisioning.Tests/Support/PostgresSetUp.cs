namespace BareMetal.Provisioning.Tests.Support;

/// <summary>Stops the shared PostgreSQL cluster after every test in the assembly ran.</summary>
[SetUpFixture]
public sealed class PostgresSetUp
{
    [OneTimeTearDown]
    public void StopCluster() => PostgresCluster.StopShared();
}

using BareMetal.Provisioning.Core;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests.Support;

/// <summary>
/// Base of every store test: runs the same tests against SQLite (a temp data dir) and PostgreSQL (a
/// fresh database in the private cluster). <see cref="Db"/> is open with a manual clock.
/// </summary>
[TestFixture(StoreBackend.Sqlite)]
[TestFixture(StoreBackend.Postgres)]
public abstract class StoreTestBase(StoreBackend backend)
{
    private TempDir? _dir;
    private ProvisioningDatabase? _db;

    protected StoreBackend Backend { get; } = backend;

    internal ManualTime Time { get; private set; } = new();

    protected string DataDir => _dir!.Path;

    /// <summary>The connection string the database was opened with (null = SQLite default).</summary>
    protected string? Connection { get; private set; }

    protected ProvisioningDatabase Db => _db ?? throw new InvalidOperationException("not open");

    protected virtual long MaxImageBytes => 64L << 20;

    [SetUp]
    public async Task OpenStore()
    {
        _dir = new TempDir("bm-prov");
        Connection = Backend == StoreBackend.Postgres ? PostgresCluster.Shared.CreateDatabase() : null;
        Time = new ManualTime();
        _db = await OpenAsync();
    }

    /// <summary>Opens (another instance of) the same database and data dir: a restart.</summary>
    protected Task<ProvisioningDatabase> OpenAsync() =>
        ProvisioningDatabase.OpenAsync(DataDir, Connection, new ProvisioningOptions { Time = Time, MaxImageBytes = MaxImageBytes, PasswordIterations = 1000 });

    /// <summary>Closes and reopens, as a server restart does.</summary>
    protected async Task ReopenAsync()
    {
        if (_db is not null)
        {
            await _db.DisposeAsync();
        }
        _db = await OpenAsync();
    }

    [TearDown]
    public async Task CloseStore()
    {
        if (_db is not null)
        {
            await _db.DisposeAsync();
            _db = null;
        }
        _dir?.Dispose();
    }

    /// <summary>A raw image file of <paramref name="bytes"/> bytes with a recognisable pattern.</summary>
    protected string RawFile(string name, int bytes, byte fill = 0x5a)
    {
        Directory.CreateDirectory(Path.Combine(DataDir, "src"));
        var path = Path.Combine(DataDir, "src", name);
        var data = new byte[bytes];
        data.AsSpan().Fill(fill);
        File.WriteAllBytes(path, data);
        return path;
    }
}

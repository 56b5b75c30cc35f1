using System.Net;
using BareMetal.Pxe.Dhcp.Leases;
using BareMetal.TestSupport;

namespace BareMetal.Pxe.Tests.Dhcp;

public class LeaseStoreTests
{
    [Test]
    public void JsonFile_SaveThenLoad_RoundTrips()
    {
        using var dir = new TempDir("dhcp-store");
        var store = new JsonFileLeaseStore(dir.Path);
        var at = new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero);
        store.Save([new DhcpLease("52:54:00:12:34:56", IPAddress.Parse("10.0.0.9"), at, LeaseState.Bound, "node1")]);
        Assert.That(new JsonFileLeaseStore(dir.Path).Load(), Is.EqualTo(new[] { new DhcpLease("52:54:00:12:34:56", IPAddress.Parse("10.0.0.9"), at, LeaseState.Bound, "node1") }));
    }

    [Test]
    public void JsonFile_Missing_LoadsEmpty()
    {
        using var dir = new TempDir("dhcp-store");
        Assert.That(new JsonFileLeaseStore(dir.Path).Load(), Is.Empty);
    }

    [TestCase("not json")]
    [TestCase("{\"version\": 99, \"leases\": []}")]
    [TestCase("{\"version\": 1, \"leases\": [{\"mac\": \"x\", \"address\": \"::1\", \"state\": \"Bound\"}]}")]
    [TestCase("{\"version\": 1, \"leases\": [{\"mac\": \"x\", \"address\": \"10.0.0.1\", \"state\": \"Stolen\"}]}")]
    public void JsonFile_Corrupt_ThrowsInvalidData(string content)
    {
        using var dir = new TempDir("dhcp-store");
        File.WriteAllText(Path.Combine(dir.Path, JsonFileLeaseStore.FileName), content);
        Assert.Throws<InvalidDataException>(() => new JsonFileLeaseStore(dir.Path).Load());
    }

    /// <summary>
    /// Lease files name states as strings. If this fails you renamed or renumbered a LeaseState member:
    /// existing lease files would no longer load. Add a new member instead, or bump LeaseFile.CurrentVersion
    /// and migrate.
    /// </summary>
    [Test]
    public void LeaseState_PersistedNames_AreFrozen() =>
        Assert.That(Enum.GetValues<LeaseState>().Select(v => $"{v}={(int)v}"), Is.EqualTo(new[] { "Offered=1", "Bound=2", "Declined=3" }));

    [Test]
    public void JsonFile_WritesStateByName()
    {
        using var dir = new TempDir("dhcp-store");
        var store = new JsonFileLeaseStore(dir.Path);
        store.Save([new DhcpLease("m", IPAddress.Parse("10.0.0.9"), DateTimeOffset.UnixEpoch, LeaseState.Declined)]);
        Assert.That(File.ReadAllText(store.FilePath), Does.Contain("\"state\": \"Declined\"").And.Contain("\"version\": 1"));
    }
}

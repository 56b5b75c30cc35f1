using BareMetal.ImageStore.Catalog.Data;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.Provisioning.Tests.Pure;

public class PostgresUrlTests
{
    [Test]
    public void Parse_ReadsUserPasswordHostPortDatabaseAndOptions()
    {
        var b = PostgresUrl.Parse("postgres://bm:p%40ss%3Aword@db.example:6543/catalog?sslmode=require&application_name=bm");
        Assert.That((b.Username, b.Password, b.Host, b.Port, b.Database), Is.EqualTo(("bm", "p@ss:word", "db.example", 6543, "catalog")));
        Assert.That(b.ToString(), Does.Contain("SSL Mode=Require").And.Contain("Application Name=bm"));
    }

    [Test]
    public void Parse_DefaultsPort_AcceptsIpv6AndUnixSocketDirectories()
    {
        Assert.That(PostgresUrl.Parse("postgresql://u@h/d").Port, Is.EqualTo(5432));
        Assert.That(PostgresUrl.Parse("postgres://u@[::1]:5433/d").Host, Is.EqualTo("::1"));
        Assert.That(PostgresUrl.Parse("postgres://u@%2Frun%2Fpostgresql/d").Host, Is.EqualTo("/run/postgresql"));
    }

    [TestCase("postgres://u@h:0/d")]
    [TestCase("postgres://u@h:99999/d")]
    [TestCase("postgres://u@h:port/d")]
    [TestCase("postgres://u@[::1/d")]
    [TestCase("postgres://u@h/d?nonsense")]
    [TestCase("postgres://u@h/d?NoSuchOption=1")]
    public void Parse_Malformed_IsAnArgumentErrorNamingTheProblem(string url)
    {
        var e = Assert.Throws<ArgumentException>(() => PostgresUrl.Parse(url));
        Assert.That(e!.Message, Does.StartWith("catalog: bad PostgreSQL URL: "));
    }

    [Test]
    public void Open_UnrecognisedCatalogString_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => SqlDatabase.Open("mysql-please", Path.GetTempPath()));
        Assert.That(e!.Message, Does.Contain("expected postgres://"));
    }

    [Test]
    public void Parse_AnyInput_ReturnsOrThrowsArgumentException_NeverAnythingElse()
    {
        var chars = Gen.Elements("postgres:/@[]?&=%2Fhx:0159;".ToCharArray());
        var gen = from tail in Gen.ArrayOf(chars) select "postgres://" + new string(tail);
        Prop.ForAll(Arb.From(gen), url =>
        {
            try
            {
                var b = PostgresUrl.Parse(url);
                return b.Port is > 0 and < 65536 && !string.IsNullOrEmpty(b.Host);
            }
            catch (ArgumentException e)
            {
                return e.Message.StartsWith("catalog: bad PostgreSQL URL: ", StringComparison.Ordinal);
            }
        }).QuickCheckThrowOnFailure();
    }
}

using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core;
using BareMetal.TestSupport;

namespace BareMetal.Provisioning.Tests;

public class SmokeTests
{
    [Test]
    public async Task OpenImportAssign_OnSqlite_Works()
    {
        using var dir = new TempDir("prov");
        await using var db = await ProvisioningDatabase.OpenAsync(dir.Path);
        var src = dir.File("disk.img");
        await File.WriteAllBytesAsync(src, new byte[1 << 20]);
        var image = await db.Catalog.ImportFileAsync(src, new ImageImportRequest("tiny"));
        Assert.That(image.Version, Is.EqualTo(1));
        var node = await db.Nodes.AddAsync(new Core.Nodes.NewNode("52:54:00:12:34:56"));
        await db.Nodes.AssignAsync(node.Mac, new Core.Nodes.NodeAssignment("tiny", null, Core.Nodes.NodeMode.Stream));
        var script = await db.BootScripts.RenderAsync(node.Mac, "http://x:8080", "10.0.0.5");
        Assert.That(script, Does.Contain("sanboot --no-describe http://x:8080/disk/tiny.v1@525400123456"));
    }
}

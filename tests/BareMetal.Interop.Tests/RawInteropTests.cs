using System.Diagnostics;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests;

/// <summary>The CLI against qemu-img on raw images (the other formats have fixtures of their own).</summary>
public class RawInteropTests
{
    [Test]
    public void MapJson_OfSparseRaw_EqualsQemuImgMap()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        using var dir = new TempDir();
        var path = dir.File("sparse.raw");
        Peer.Check(qemuImg, "create", "-f", "raw", path, "16M");
        Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0x5a 1M 192k", "-c", "write -P 0x01 9M 4k", path);
        var expected = Peer.Check(qemuImg, "map", "--output=json", "-f", "raw", path);
        var actual = Cli.Run("image", "map", "--json", path);
        Assert.That(actual.ExitCode, Is.EqualTo(0), actual.StdErr);
        Assert.That(actual.StdOut, Is.EqualTo(expected));
    }

    [Test]
    public void Convert_ToRaw_IsByteIdenticalToQemuImgConvert()
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        using var dir = new TempDir();
        var src = dir.File("src.raw");
        Peer.Check(qemuImg, "create", "-f", "raw", src, "8M");
        Peer.Check(qemuIo, "-f", "raw", "-c", "write -P 0x11 0 64k", "-c", "write -P 0x22 5M 1M", src);
        Peer.Check(qemuImg, "convert", "-f", "raw", "-O", "raw", src, dir.File("theirs.raw"));
        var r = Cli.Run("image", "convert", src, dir.File("ours.raw"), "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(Hash.Sha256File(dir.File("ours.raw")), Is.EqualTo(Hash.Sha256File(dir.File("theirs.raw"))));
        Assert.That(File.Exists(dir.File("ours.raw.part")), Is.False);
    }

    [Test]
    public void Info_OnMissingFile_PrintsOneLineAndExits2()
    {
        using var dir = new TempDir();
        var r = Cli.Run("image", "info", dir.File("nope.qcow2"));
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("nope.qcow2"));
    }
}

/// <summary>Runs the built CLI (baremetal.dll beside the test assembly) as a user would.</summary>
/// <summary>
/// Runs the CLI as users do: the offline image verbs through the native tool that `./baremetal` runs
/// (artifacts/image/baremetal-image, which ./test.sh publishes), everything else through baremetal.dll.
/// </summary>
public static class Cli
{
    private static readonly HashSet<string> NativeVerbs = ["info", "map", "convert", "verify", "ls", "extract"];

    public static PeerResult Run(params string[] args) =>
        args is ["image", var verb, ..] && NativeVerbs.Contains(verb) && NativeTool() is { } tool
            ? Peer.Run(tool, args, TimeSpan.FromMinutes(5))
            : RunManaged(args);

    /// <summary>The managed CLI, whatever the verb.</summary>
    public static PeerResult RunManaged(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "baremetal.dll");
        var dotnet = Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";
        Debug.Assert(File.Exists(dll));
        return Peer.Run(dotnet, [dll, .. args], TimeSpan.FromMinutes(5));
    }

    /// <summary>
    /// The published native tool. Missing: a failure under CI (./test.sh publishes it, so the native build is
    /// what is proven), elsewhere null, and the managed CLI stands in.
    /// </summary>
    public static string? NativeTool()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "BareMetal.sln")))
        {
            dir = dir.Parent;
        }
        var tool = dir is null ? null : Path.Combine(dir.FullName, "artifacts", "image", "baremetal-image");
        if (tool is not null && File.Exists(tool))
        {
            return tool;
        }
        if (Peer.OnCi)
        {
            Assert.Fail("the native image tool artifacts/image/baremetal-image is not built (./test.sh publishes it)");
        }
        return null;
    }
}

using BareMetal.Provisioning.Core.Boot;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Provisioning;

/// <summary>
/// The deploy copier the server ships (<see cref="DeployCopier.Bytes"/>) is exactly its checked-in
/// source, DeployCopier.asm, assembled by nasm: nobody edits one without the other.
/// </summary>
public class DeployCopierNasmTests
{
    [Test]
    public void ShippedBytes_AreTheAsmSourceAssembledByNasm()
    {
        var nasm = Peer.Require("nasm", "nasm");
        using var dir = new TempDir("bm-copier");
        var source = Path.Combine(RepoRoot(), "provisioning", "BareMetal.Provisioning.Core", "Boot", "DeployCopier.asm");
        var output = dir.File("deploy-copier.0");
        var run = Peer.Run(nasm, ["-f", "bin", "-o", output, source], TimeSpan.FromSeconds(60));
        Assert.That(run.ExitCode, Is.Zero, run.StdErr);
        var assembled = File.ReadAllBytes(output);
        Assert.That(DeployCopier.Bytes.ToArray(), Is.EqualTo(assembled),
            "DeployCopier.Bytes differs from DeployCopier.asm: reassemble it (nasm -f bin) and paste the bytes into DeployCopier.cs");
        Assert.That(assembled, Has.Length.LessThan(0xA0000 - 0x7C00), "iPXE takes a PXE NBP only if it fits in base memory above 0x7C00");
        Assert.That(assembled[0] != 'M' || assembled[1] != 'Z', "iPXE's BIOS loader refuses an NBP that starts with MZ (EFI)");
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BareMetal.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("BareMetal.sln not found above " + AppContext.BaseDirectory);
    }
}

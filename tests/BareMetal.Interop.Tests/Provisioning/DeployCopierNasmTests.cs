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
        var assembled = Assemble("DeployCopier.asm");
        Assert.That(DeployCopier.Bytes.ToArray(), Is.EqualTo(assembled),
            "DeployCopier.Bytes differs from DeployCopier.asm: reassemble it (nasm -f bin) and paste the bytes into DeployCopier.cs");
        Assert.That(assembled, Has.Length.LessThan(0xA0000 - 0x7C00), "iPXE takes a PXE NBP only if it fits in base memory above 0x7C00");
        Assert.That(assembled[0] != 'M' || assembled[1] != 'Z', "iPXE's BIOS loader refuses an NBP that starts with MZ (EFI)");
    }

    [Test]
    public void ShippedUefiBytes_AreTheEfiAsmSourceAssembledByNasm_AndAPe32PlusEfiApplication()
    {
        var assembled = Assemble("DeployCopierEfi.asm");
        Assert.That(DeployCopierEfi.Bytes.ToArray(), Is.EqualTo(assembled),
            "DeployCopierEfi.Bytes differs from DeployCopierEfi.asm: reassemble it (nasm -f bin) and paste the bytes into DeployCopierEfi.cs");
        var pe = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(assembled.AsSpan(0x3C));
        Assert.Multiple(() =>
        {
            Assert.That((assembled[0], assembled[1]), Is.EqualTo(((byte)'M', (byte)'Z')));
            Assert.That(System.Text.Encoding.ASCII.GetString(assembled, pe, 4), Is.EqualTo("PE\0\0"));
            Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(assembled.AsSpan(pe + 24)), Is.EqualTo(0x20B), "PE32+");
            Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(assembled.AsSpan(pe + 24 + 68)), Is.EqualTo(10), "EFI application subsystem");
            Assert.That(assembled.Length % 0x200, Is.Zero, "whole file-alignment units");
            var boot = DeployCopierEfi.ForBootLocal();
            Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(boot.AsSpan(DeployCopierEfi.ModeOffset)), Is.EqualTo(1));
            var copy = DeployCopierEfi.For(123456789);
            Assert.That(System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(copy.AsSpan(DeployCopierEfi.ImageBytesOffset)), Is.EqualTo(123456789));
            Assert.That(copy.AsSpan(0, DeployCopierEfi.ModeOffset).SequenceEqual(assembled.AsSpan(0, DeployCopierEfi.ModeOffset)), "only the parameters change");
        });
    }

    /// <summary>nasm -f bin of the Boot/ source file <paramref name="name"/>: its bytes.</summary>
    private static byte[] Assemble(string name)
    {
        var nasm = Peer.Require("nasm", "nasm");
        using var dir = new TempDir("bm-copier");
        var source = Path.Combine(RepoRoot(), "provisioning", "BareMetal.Provisioning.Core", "Boot", name);
        var output = dir.File(Path.ChangeExtension(name, ".bin"));
        var run = Peer.Run(nasm, ["-f", "bin", "-o", output, source], TimeSpan.FromSeconds(60));
        Assert.That(run.ExitCode, Is.Zero, run.StdErr);
        return File.ReadAllBytes(output);
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

using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Qcow2;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Qcow2;

/// <summary>qcow2 images made at test time by qemu-img / qemu-io, read by us and compared with qemu.</summary>
public class Qcow2InteropTests
{
    private static string QemuImg => Peer.Require("qemu-img", "qemu-utils");
    private static string QemuIo => Peer.Require("qemu-io", "qemu-utils");

    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A mixed image: data, zeroes, a compressed cluster, a partial write, all placed in units of
    /// max(cluster, 64 KiB) so every cluster size sees the same kinds of clusters.
    /// </summary>
    private static string MakeMixed(TempDir dir, int clusterSize, string compat, string name = "mixed.qcow2")
    {
        var path = dir.File(name);
        long u = Math.Max(clusterSize, 65536);
        var size = Math.Max(16L << 20, 32 * u);
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", "-o", $"cluster_size={clusterSize},compat={compat}", path, N(size));
        Peer.Check(QemuIo, "-f", "qcow2",
            "-c", $"write -P 0x11 0 {N(2 * u)}",
            "-c", $"write -P 0x22 {N(8 * u)} {N(u)}",
            "-c", $"write -z {N(16 * u)} {N(2 * u)}",
            "-c", $"write -c -P 0x55 {N(24 * u)} {N(u)}",
            "-c", $"write -P 0x66 {N((30 * u) + 512)} 1024",
            path);
        return path;
    }

    private static string Sha256OfOurRead(string path)
    {
        using var disk = DiskImage.Open(path);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buf = new byte[1 << 20];
        for (long pos = 0; pos < disk.Length; pos += buf.Length)
        {
            var n = (int)Math.Min(buf.Length, disk.Length - pos);
            disk.Read(pos, buf.AsSpan(0, n));
            sha.AppendData(buf, 0, n);
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    private static string Sha256OfQemuRaw(TempDir dir, string path)
    {
        var raw = dir.File(Path.GetFileName(path) + ".qemu.raw");
        Peer.Check(QemuImg, "convert", "-O", "raw", path, raw);
        var h = Hash.Sha256File(raw);
        File.Delete(raw);
        return h;
    }

    /// <summary>Our map must equal qemu's byte for byte, or (when exact is false) after folding qemu's host-hole detail.</summary>
    private static void AssertMapsMatch(string path, bool exact)
    {
        var expected = Peer.Check(QemuImg, "map", "--output=json", path);
        var ours = Cli.Run("image", "map", "--json", path);
        Assert.That(ours.ExitCode, Is.EqualTo(0), ours.StdErr);
        if (exact)
        {
            Assert.That(ours.StdOut, Is.EqualTo(expected));
            return;
        }
        Assert.That(QemuMap.Normalise(QemuMap.Parse(ours.StdOut)), Is.EqualTo(QemuMap.Normalise(QemuMap.Parse(expected))),
            $"ours:\n{ours.StdOut}\nqemu:\n{expected}");
    }

    [TestCase(512, "0.10")]
    [TestCase(512, "1.1")]
    [TestCase(4096, "0.10")]
    [TestCase(4096, "1.1")]
    [TestCase(65536, "0.10")]
    [TestCase(65536, "1.1")]
    [TestCase(2 << 20, "0.10")]
    [TestCase(2 << 20, "1.1")]
    public void MixedImage_ReadsLikeQemuImgConvert_AndMapsLikeQemuImgMap(int clusterSize, string compat)
    {
        using var dir = new TempDir();
        var path = MakeMixed(dir, clusterSize, compat);
        Assert.That(Sha256OfOurRead(path), Is.EqualTo(Sha256OfQemuRaw(dir, path)));
        AssertMapsMatch(path, exact: false);
        using var disk = DiskImage.Open(path);
        var d = disk.Describe();
        Assert.That(d.ClusterSize, Is.EqualTo(clusterSize));
        Assert.That(d.Subformat, Is.EqualTo(compat == "0.10" ? "v2" : "v3"));
        Assert.That(disk.Check().IsClean, Is.True, string.Join("\n", disk.Check().Findings));
    }

    [TestCase(4096)]
    [TestCase(65536)]
    public void FullClusterWrites_MapIsByteIdenticalToQemu(int clusterSize)
    {
        using var dir = new TempDir();
        var path = dir.File("aligned.qcow2");
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", "-o", $"cluster_size={clusterSize}", path, "8M");
        Peer.Check(QemuIo, "-f", "qcow2", "-c", "write -P 0x11 0 256k", "-c", "write -z 1M 512k", "-c", "write -c -P 3 2M 128k",
            "-c", "write -P 0x12 3M 64k", path);
        AssertMapsMatch(path, exact: true);
    }

    [Test]
    public void CompressedImage_FromQemuImgConvertC_ReadsIdentically()
    {
        using var dir = new TempDir();
        var src = MakeMixed(dir, 65536, "1.1");
        var compressed = dir.File("c.qcow2");
        Peer.Check(QemuImg, "convert", "-c", "-O", "qcow2", src, compressed);
        Assert.That(Sha256OfOurRead(compressed), Is.EqualTo(Sha256OfQemuRaw(dir, src)));
        AssertMapsMatch(compressed, exact: true);
        var r = Cli.Run("image", "convert", compressed, dir.File("ours.raw"), "-O", "raw");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        Assert.That(Hash.Sha256File(dir.File("ours.raw")), Is.EqualTo(Sha256OfQemuRaw(dir, compressed)));
    }

    [Test]
    public void ThreeDeepChain_WithBackingFormats_ReadsAndMapsLikeQemu()
    {
        using var dir = new TempDir();
        var bottom = dir.File("bottom.raw");
        var mid = dir.File("mid.qcow2");
        var top = dir.File("top.qcow2");
        Peer.Check(QemuImg, "create", "-q", "-f", "raw", bottom, "16M");
        Peer.Check(QemuIo, "-f", "raw", "-c", "write -P 0x01 0 4M", "-c", "write -P 0x02 12M 1M", bottom);
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", "-b", "bottom.raw", "-F", "raw", mid);
        Peer.Check(QemuIo, "-f", "qcow2", "-c", "write -P 0x03 1M 1M", "-c", "write -z 3M 256k", mid);
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", "-b", "mid.qcow2", "-F", "qcow2", top);
        Peer.Check(QemuIo, "-f", "qcow2", "-c", "write -P 0x04 1536k 64k", "-c", "write -z 0 64k", "-c", "write -P 0x05 15M 64k", top);
        Assert.That(Sha256OfOurRead(top), Is.EqualTo(Sha256OfQemuRaw(dir, top)));
        AssertMapsMatch(top, exact: true);
        var info = Cli.Run("image", "info", top);
        Assert.That(info.StdOut, Does.Contain("backing file: mid.qcow2").And.Contain("backing file format: raw"));
    }

    [Test]
    public void OverlayLargerThanBacking_TailReadsAsZeros()
    {
        using var dir = new TempDir();
        var bottom = dir.File("small.qcow2");
        var top = dir.File("big.qcow2");
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", bottom, "4M");
        Peer.Check(QemuIo, "-f", "qcow2", "-c", "write -P 0x01 0 4M", bottom);
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", "-b", "small.qcow2", "-F", "qcow2", top, "12M");
        Peer.Check(QemuIo, "-f", "qcow2", "-c", "write -P 0x05 9M 64k", top);
        Assert.That(Sha256OfOurRead(top), Is.EqualTo(Sha256OfQemuRaw(dir, top)));
        // qemu reports the part past the backing's end at depth 0 (present: false); the shared
        // VirtualDisk.Map says depth 1 there, so the map is compared without that depth.
        var ours = QemuMap.Parse(Cli.Run("image", "map", "--json", top).StdOut);
        var theirs = QemuMap.Parse(Peer.Check(QemuImg, "map", "--output=json", top));
        Assert.That(ours.Select(e => e with { Depth = e.Present ? e.Depth : 0 }), Is.EqualTo(theirs.Select(e => e with { Depth = e.Present ? e.Depth : 0 })));
    }

    [Test]
    public void ExtendedL2_SubclusterWrites_ReadAndMapLikeQemu()
    {
        using var dir = new TempDir();
        var bottom = dir.File("b.qcow2");
        var top = dir.File("x.qcow2");
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", bottom, "8M");
        Peer.Check(QemuIo, "-f", "qcow2", "-c", "write -P 0x07 0 1M", bottom);
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", "-o", "extended_l2=on,cluster_size=64k", "-b", "b.qcow2", "-F", "qcow2", top);
        Peer.Check(QemuIo, "-f", "qcow2",
            "-c", "write -P 0x08 2k 2k",
            "-c", "write -P 0x09 10k 4k",
            "-c", "write -z 64k 2k",
            "-c", "write -z 130k 6k",
            "-c", "write -P 0x0a 2M 64k",
            "-c", "write -P 0x0b 3M 2k",
            top);
        Assert.That(Sha256OfOurRead(top), Is.EqualTo(Sha256OfQemuRaw(dir, top)));
        AssertMapsMatch(top, exact: true);
        using var disk = DiskImage.Open(top);
        Assert.That(disk.Describe().Features["extended-l2"], Is.EqualTo("true"));
        Assert.That(disk.Check().IsClean, Is.True, string.Join("\n", disk.Check().Findings));
    }

    [TestCase(65536, false)]
    [TestCase(65536, true)]
    [TestCase(512, false)]
    public void ConvertToQcow2_PassesQemuImgCheck_AndCompare(int clusterSize, bool compressedSource)
    {
        using var dir = new TempDir();
        var src = MakeMixed(dir, clusterSize, "1.1");
        if (compressedSource)
        {
            var c = dir.File("c.qcow2");
            Peer.Check(QemuImg, "convert", "-c", "-O", "qcow2", src, c);
            src = c;
        }
        var ours = dir.File("ours.qcow2");
        var r = Cli.Run("image", "convert", src, ours, "-O", "qcow2");
        Assert.That(r.ExitCode, Is.EqualTo(0), r.StdErr);
        AssertQemuCheckClean(ours);
        var cmp = Peer.Run(QemuImg, ["compare", src, ours]);
        Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
        var verify = Cli.Run("image", "verify", ours);
        Assert.That(verify.ExitCode, Is.EqualTo(0), verify.StdOut);
    }

    private static void AssertQemuCheckClean(string path)
    {
        var check = Peer.Run(QemuImg, ["check", path]);
        Assert.That(check.ExitCode, Is.EqualTo(0), check.StdOut + check.StdErr);
        Assert.That(check.StdOut, Does.Contain("No errors were found"));
        Assert.That(check.StdOut + check.StdErr, Does.Not.Contain("leaked"));
    }

    [TestCase(512)]
    [TestCase(4096)]
    [TestCase(2 << 20)]
    public void OurWriter_RandomWrites_PassQemuImgCheck_AndCompareWithModel(int clusterSize)
    {
        using var dir = new TempDir();
        var path = dir.File("w.qcow2");
        const int size = 8 << 20;
        var model = new byte[size];
        var rng = new Random(clusterSize);
        using (var disk = Qcow2Writer.Create(path, size, clusterSize))
        {
            for (var i = 0; i < 200; i++)
            {
                var off = rng.Next(size - 1);
                var len = rng.Next(1, Math.Min(256 << 10, size - off));
                if (i % 7 == 6)
                {
                    disk.WriteZeroes(off, len);
                    model.AsSpan(off, len).Clear();
                    continue;
                }
                var data = new byte[len];
                rng.NextBytes(data);
                disk.Write(off, data);
                data.CopyTo(model, off);
            }
            disk.Flush();
        }
        File.WriteAllBytes(dir.File("model.raw"), model);
        AssertQemuCheckClean(path);
        var cmp = Peer.Run(QemuImg, ["compare", "-f", "qcow2", "-F", "raw", path, dir.File("model.raw")]);
        Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
    }

    [Test]
    public void Overlay_OnQemuBase_IsReadableByQemu_AndReopensWritable()
    {
        using var dir = new TempDir();
        var basePath = MakeMixed(dir, 65536, "1.1", "base.qcow2");
        var model = File.ReadAllBytes(ExportRaw(dir, basePath, "base.raw"));
        var overlay = dir.File("node1.qcow2");
        using (var disk = Qcow2Writer.Create(overlay, model.Length, 65536, "base.qcow2", ImageFormat.Qcow2))
        {
            Write(disk, model, 100, 5000, 0xa1);
            Write(disk, model, (24 * 65536) + 77, 300, 0xa2); // inside the compressed cluster
            disk.WriteZeroes(0, 65536);
            model.AsSpan(0, 65536).Clear();
            disk.Flush();
        }
        // A server restart: the overlay is opened again for writing.
        using (var disk = DiskImage.Open(overlay, new OpenOptions { Writable = true }))
        {
            Write(disk, model, (8 * 65536) + 4096, 100, 0xa3);
            disk.Flush();
        }
        File.WriteAllBytes(dir.File("model.raw"), model);
        AssertQemuCheckClean(overlay);
        var cmp = Peer.Run(QemuImg, ["compare", "-F", "raw", overlay, dir.File("model.raw")]);
        Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
        var info = Peer.Check(QemuImg, "info", overlay);
        Assert.That(info, Does.Contain("backing file: base.qcow2").And.Contain("backing file format: qcow2"));
        AssertMapsMatch(overlay, exact: false);
    }

    [Test]
    public void ClustersFreedByOverwritingCompressedData_AreReusedAfterAFlush_AndTheImageStaysClean()
    {
        using var dir = new TempDir();
        const int cluster = 65536;
        const int half = 4 << 20;
        // 4 MiB of half-random clusters (they compress to about half) and 4 MiB unwritten.
        var model = new byte[2 * half];
        var rng = new Random(7);
        for (var c = 0; c < half / cluster; c++)
        {
            rng.NextBytes(model.AsSpan(c * cluster, cluster / 2));
        }
        File.WriteAllBytes(dir.File("src.raw"), model);
        var path = dir.File("c.qcow2");
        Peer.Check(QemuImg, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", $"cluster_size={N(cluster)}", dir.File("src.raw"), path);
        long grownBy;
        using (var disk = DiskImage.Open(path, new OpenOptions { Writable = true }))
        {
            // Overwriting every compressed cluster moves it to a cluster of its own and frees the
            // compressed bytes; the flush makes those clusters reusable.
            for (var off = 0; off < half; off += cluster)
            {
                Write(disk, model, off, cluster, (byte)(off / cluster));
            }
            disk.Flush();
            var before = new FileInfo(path).Length;
            for (var off = half; off < 2 * half; off += cluster)
            {
                Write(disk, model, off, cluster, (byte)(0x80 + (off / cluster)));
            }
            disk.Flush();
            grownBy = new FileInfo(path).Length - before;
        }
        // Without reuse the second half would add 64 clusters; the freed compressed space (about 32
        // clusters) is used first.
        Assert.That(grownBy, Is.LessThan(48L * cluster), "freed clusters were reused");
        File.WriteAllBytes(dir.File("model.raw"), model);
        AssertQemuCheckClean(path);
        var cmp = Peer.Run(QemuImg, ["compare", "-F", "raw", path, dir.File("model.raw")]);
        Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
    }

    private static void Write(VirtualDisk disk, byte[] model, long offset, int length, byte value)
    {
        var data = new byte[length];
        data.AsSpan().Fill(value);
        disk.Write(offset, data);
        data.CopyTo(model, offset);
    }

    private static string ExportRaw(TempDir dir, string path, string name)
    {
        var raw = dir.File(name);
        Peer.Check(QemuImg, "convert", "-O", "raw", path, raw);
        return raw;
    }

    [Test]
    public void QemuImage_With512ByteClusters_ReopenedWritable_GrowsRefcountTable_AndStaysClean()
    {
        using var dir = new TempDir();
        var path = dir.File("small.qcow2");
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", "-o", "cluster_size=512", path, "24M");
        var model = new byte[24 << 20];
        using (var disk = DiskImage.Open(path, new OpenOptions { Writable = true }))
        {
            // 12 MiB of 512-byte clusters outgrow qemu's one-cluster refcount table (8 MiB of host clusters).
            var data = new byte[12 << 20];
            new Random(3).NextBytes(data);
            disk.Write(1 << 20, data);
            data.CopyTo(model, 1 << 20);
            disk.Flush();
        }
        File.WriteAllBytes(dir.File("model.raw"), model);
        AssertQemuCheckClean(path);
        var cmp = Peer.Run(QemuImg, ["compare", "-F", "raw", path, dir.File("model.raw")]);
        Assert.That(cmp.ExitCode, Is.EqualTo(0), cmp.StdOut + cmp.StdErr);
    }

    [TestCase("compression_type=zstd", "zstd")]
    [TestCase("data_file=ext.data", "external data file")]
    [TestCase("encrypt.format=luks,encrypt.key-secret=s0", "encryption (crypt_method=2, LUKS)")]
    public void UnsupportedFeatures_AreRefusedNamingTheFeature(string options, string named)
    {
        using var dir = new TempDir();
        var path = dir.File("f.qcow2");
        PeerResult create;
        var attempt = 0;
        do
        {
            // LUKS: qemu times 32768 PBKDF2 rounds by thread CPU time, which ticks in 4 ms steps here; a run
            // that measures 0 ms fails with "Unable to get accurate CPU usage" (1 in 3 on this machine). Retry.
            create = Peer.Run(QemuImg, ["create", "-q", "--object", "secret,id=s0,data=x", "-f", "qcow2", "-o", options, path, "8M"],
                workingDirectory: dir.Path);
        }
        while (create.ExitCode != 0 && create.StdErr.Contains("Unable to get accurate CPU usage", StringComparison.Ordinal) && ++attempt < 10);
        Assert.That(create.ExitCode, Is.EqualTo(0), create.StdErr);
        var e = Assert.Throws<ImageFormatException>(() => DiskImage.Open(path).Dispose());
        Assert.That(e!.Reason, Is.EqualTo(ImageError.Unsupported));
        Assert.That(e.Message, Does.Contain(named));
        var r = Cli.Run("image", "info", path);
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr.Trim().Split('\n'), Has.Length.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain(named).And.Contain("f.qcow2: qcow2: "));
    }

    [Test]
    public void HostileImage_ViaCli_PrintsOneLineAndExits2()
    {
        using var dir = new TempDir();
        var path = dir.File("h.qcow2");
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", path, "8M");
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20), 22);
        File.WriteAllBytes(path, bytes);
        foreach (var verb in new[] { "info", "map", "verify" })
        {
            var r = Cli.Run("image", verb, path);
            Assert.That(r.ExitCode, Is.EqualTo(2), verb);
            Assert.That(r.StdErr.Trim().Split('\n'), Has.Length.EqualTo(1), r.StdErr);
            Assert.That(r.StdErr, Does.Contain("cluster_bits 22"));
        }
    }

    [Test]
    public void Verify_AgreesWithQemuImgCheck_OnLeaksAndCorruptions()
    {
        using var dir = new TempDir();
        var path = dir.File("v.qcow2");
        Peer.Check(QemuImg, "create", "-q", "-f", "qcow2", path, "8M");
        Peer.Check(QemuIo, "-f", "qcow2", "-c", "write -P 1 0 256k", path);
        var bytes = File.ReadAllBytes(path);
        var l1 = (long)BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(40));
        var l2 = (long)(BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan((int)l1)) & 0x00ff_ffff_ffff_fe00UL);
        // Forget guest cluster 1: its host cluster is still counted, so it leaks (qemu-img check exits 3).
        var leaky = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt64BigEndian(leaky.AsSpan((int)l2 + 8), 0);
        File.WriteAllBytes(path, leaky);
        Assert.That(Peer.Run(QemuImg, ["check", path]).ExitCode, Is.EqualTo(3));
        Assert.That(Cli.Run("image", "verify", path).ExitCode, Is.EqualTo(3));
        // Point guest cluster 1 at guest cluster 0's host cluster: two references, refcount 1 (exit 2).
        var shared = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt64BigEndian(shared.AsSpan((int)l2 + 8), BinaryPrimitives.ReadUInt64BigEndian(shared.AsSpan((int)l2)));
        File.WriteAllBytes(path, shared);
        Assert.That(Peer.Run(QemuImg, ["check", path]).ExitCode, Is.EqualTo(2));
        var ours = Cli.Run("image", "verify", path);
        Assert.That(ours.ExitCode, Is.EqualTo(2));
        Assert.That(ours.StdOut, Does.Contain("refcount=1 reference=2"));
    }
}

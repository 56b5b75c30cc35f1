using System.Diagnostics;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Iscsi;

/// <summary>`baremetal export FILE --iscsi ADDR:PORT` serves the file as a target until stopped.</summary>
[TestFixture]
[NonParallelizable]
public sealed class IscsiExportCommandTests
{
    [Test]
    public void ExportCommand_WithIscsi_PrintsTargetUrlThatLibiscsiReads()
    {
        var rc16 = Peer.Require("iscsi-readcapacity16", "libiscsi-bin");
        var (dir, path) = IscsiLibiscsiTests.RandomDisk(4 * 1024 * 1024);
        using var _ = dir;
        var dll = Path.Combine(AppContext.BaseDirectory, "baremetal.dll");
        var psi = new ProcessStartInfo(Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { dll, "export", path, "--nbd", "127.0.0.1:0", "--iscsi", "127.0.0.1:0", "--read-only", "--name", "cli" })
        {
            psi.ArgumentList.Add(a);
        }
        using var proc = Process.Start(psi)!;
        try
        {
            string? url = null;
            for (var i = 0; i < 3 && url is null; i++)
            {
                var line = proc.StandardOutput.ReadLineAsync();
                Assert.That(line.Wait(TimeSpan.FromSeconds(60)), Is.True, "no URL printed");
                if (line.Result is { } l && l.StartsWith("iscsi://", StringComparison.Ordinal))
                {
                    url = l.Trim();
                }
            }
            Assert.That(url, Does.Match("^iscsi://127\\.0\\.0\\.1:[0-9]+/iqn\\.2026-11\\.dev\\.baremetal:cli/0$"));
            Assert.That(Peer.Check(rc16, url!), Does.Contain("Total size:4194304"));
        }
        finally
        {
            proc.Kill(entireProcessTree: true);
            proc.WaitForExit(10_000);
        }
    }
}

using System.Diagnostics;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Iscsi;

/// <summary>`baremetal export FILE --iscsi ADDR:PORT` serves the file as a target until stopped.</summary>
[TestFixture]
[NonParallelizable]
public sealed class IscsiExportCommandTests
{
    private static Process StartExport(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "baremetal.dll");
        var psi = new ProcessStartInfo(Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("export");
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        return Process.Start(psi)!;
    }

    private static string IscsiUrl(Process proc)
    {
        for (var i = 0; i < 3; i++)
        {
            var line = proc.StandardOutput.ReadLineAsync();
            Assert.That(line.Wait(TimeSpan.FromSeconds(60)), Is.True, "no URL printed");
            if (line.Result is { } l && l.StartsWith("iscsi://", StringComparison.Ordinal))
            {
                return l.Trim();
            }
        }
        Assert.Fail("no iscsi:// URL printed");
        return "";
    }

    private static void Stop(Process proc)
    {
        proc.Kill(entireProcessTree: true);
        proc.WaitForExit(10_000);
    }

    [Test]
    public void ExportCommand_WithIscsi_PrintsTargetUrlThatLibiscsiReads()
    {
        var rc16 = Peer.Require("iscsi-readcapacity16", "libiscsi-bin");
        var (dir, path) = IscsiLibiscsiTests.RandomDisk(4 * 1024 * 1024);
        using var _ = dir;
        using var proc = StartExport(path, "--nbd", "127.0.0.1:0", "--iscsi", "127.0.0.1:0", "--read-only", "--name", "cli");
        try
        {
            var url = IscsiUrl(proc);
            Assert.That(url, Does.Match("^iscsi://127\\.0\\.0\\.1:[0-9]+/iqn\\.2026-11\\.dev\\.baremetal:cli/0$"));
            Assert.That(Peer.Check(rc16, url), Does.Contain("Total size:4194304"));
        }
        finally
        {
            Stop(proc);
        }
    }

    [Test]
    public void ExportCommand_WithChapFlags_RequiresTheirCredentials()
    {
        var rc16 = Peer.Require("iscsi-readcapacity16", "libiscsi-bin");
        var (dir, path) = IscsiLibiscsiTests.RandomDisk(4 * 1024 * 1024);
        using var _ = dir;
        using var proc = StartExport(path, "--nbd", "127.0.0.1:0", "--iscsi", "127.0.0.1:0", "--read-only", "--name", "cli",
            "--chap-user", "operator", "--chap-secret", "cli-initiator-secret", "--chap-mutual-user", "cli-target", "--chap-mutual-secret", "cli-target-secret");
        try
        {
            var url = IscsiUrl(proc);
            var withCredentials = url.Replace("iscsi://", "iscsi://operator%cli-initiator-secret@", StringComparison.Ordinal) + "?target_user=cli-target&target_password=cli-target-secret";
            Assert.That(Peer.Check(rc16, withCredentials), Does.Contain("Total size:4194304"));
            var without = Peer.Run(rc16, [url], TimeSpan.FromSeconds(60));
            Assert.That(without.ExitCode, Is.Not.Zero);
            Assert.That(without.StdErr, Does.Contain("Authentication failure"));
        }
        finally
        {
            Stop(proc);
        }
        var stderr = proc.StandardError.ReadToEnd();
        Assert.That(stderr, Does.Contain("requires CHAP as user 'operator'").And.Not.Contain("cli-initiator-secret").And.Not.Contain("cli-target-secret"));
    }

    [TestCase(new[] { "--chap-user", "u" }, "--chap-user and --chap-secret go together")]
    [TestCase(new[] { "--chap-user", "u", "--chap-secret", "s", "--chap-mutual-user", "t" }, "--chap-mutual-user and --chap-mutual-secret go together")]
    [TestCase(new[] { "--chap-user", "u", "--chap-secret", "same-secret", "--chap-mutual-user", "t", "--chap-mutual-secret", "same-secret" }, "--chap-mutual-secret: the mutual (target) secret must differ")]
    [TestCase(new[] { "--chap-user", "", "--chap-secret", "s" }, "--chap-user:")]
    public void ExportCommand_BadChapFlags_OneLineErrorExit2(string[] flags, string message)
    {
        var (dir, path) = IscsiLibiscsiTests.RandomDisk(64 * 1024);
        using var _ = dir;
        using var proc = StartExport([path, "--nbd", "127.0.0.1:0", "--iscsi", "127.0.0.1:0", .. flags]);
        Assert.That(proc.WaitForExit(60_000), Is.True);
        var stderr = proc.StandardError.ReadToEnd();
        Assert.That(proc.ExitCode, Is.EqualTo(2), stderr);
        Assert.That(stderr.Trim(), Does.StartWith("baremetal: " + message));
        Assert.That(stderr.Trim().Split('\n'), Has.Length.EqualTo(1));
    }

    [Test]
    public void ExportCommand_ChapWithoutIscsi_IsRefused()
    {
        var (dir, path) = IscsiLibiscsiTests.RandomDisk(64 * 1024);
        using var _ = dir;
        using var proc = StartExport(path, "--nbd", "127.0.0.1:0", "--chap-user", "u", "--chap-secret", "s");
        Assert.That(proc.WaitForExit(60_000), Is.True);
        Assert.That(proc.ExitCode, Is.EqualTo(2));
        Assert.That(proc.StandardError.ReadToEnd(), Does.Contain("need --iscsi"));
    }
}

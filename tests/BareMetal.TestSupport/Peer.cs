using System.Diagnostics;
using NUnit.Framework;

namespace BareMetal.TestSupport;

/// <summary>
/// Real peers (qemu-img, nbdcopy, curl, atftp ...) for interop tests. A missing peer skips the test
/// with the package to install on a developer's machine, and fails it when CI is set: CI must never
/// go green by skipping the proof.
/// </summary>
public static class Peer
{
    public static bool OnCi => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    /// <summary>Full path of <paramref name="tool"/>, or skip/fail the test naming the Debian package.</summary>
    public static string Require(string tool, string debianPackage)
    {
        var found = Find(tool);
        if (found is not null)
        {
            return found;
        }
        Missing($"peer '{tool}' is not installed (apt-get install {debianPackage}; ./test.sh does it)");
        return tool;
    }

    /// <summary>Skips the test saying what is missing, or fails it when CI is set (a peer that cannot be had is not a pass).</summary>
    public static void Missing(string message)
    {
        if (OnCi)
        {
            Assert.Fail(message + " and CI requires every peer");
        }
        Assert.Ignore(message);
    }

    public static string? Find(string tool)
    {
        if (Path.IsPathRooted(tool))
        {
            return File.Exists(tool) ? tool : null;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
                     .Concat(["/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(dir, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Runs a peer to completion with a hard timeout (peers do hang now and then); kills its tree on timeout.</summary>
    public static PeerResult Run(string file, IEnumerable<string> args, TimeSpan? timeout = null, string? stdin = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        var stderrTask = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }
        var limit = timeout ?? TimeSpan.FromSeconds(120);
        if (!p.WaitForExit(limit))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"{file} {string.Join(' ', psi.ArgumentList)} did not finish within {limit.TotalSeconds:0} s");
        }
        p.WaitForExit();
        return new PeerResult(p.ExitCode, stdoutTask.Result, stderrTask.Result, $"{file} {string.Join(' ', psi.ArgumentList)}");
    }

    /// <summary>Runs a peer and fails the test unless it exits 0.</summary>
    public static string Check(string file, params string[] args)
    {
        var r = Run(file, args);
        if (r.ExitCode != 0)
        {
            Assert.Fail($"`{r.CommandLine}` exited {r.ExitCode}: {r.StdErr.Trim()} {r.StdOut.Trim()}");
        }
        return r.StdOut;
    }
}

public sealed record PeerResult(int ExitCode, string StdOut, string StdErr, string CommandLine);

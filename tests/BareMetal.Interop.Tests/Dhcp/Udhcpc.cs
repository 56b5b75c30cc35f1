using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Dhcp;

/// <summary>busybox udhcpc, a real DHCP client, run once inside a test's network namespace.</summary>
internal static class Udhcpc
{
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(40);

    /// <summary>
    /// Asks for a lease on the namespace's interface and returns the lease as udhcpc reports it (its script's
    /// environment: ip, bootfile, siaddr, optNN ...). Fails the test when no lease comes, with
    /// <paramref name="diagnostics"/> (say, the server's dropped packets) in the message.
    /// </summary>
    public static Dictionary<string, string> Lease(NetworkNamespace ns, TempDir dir, string tag, Func<string>? diagnostics, params string[] extra)
    {
        var busybox = Peer.Require("busybox", "busybox");
        var script = dir.File($"udhcpc-{tag}.sh");
        var env = dir.File($"udhcpc-{tag}.env");
        File.Delete(env + ".bound");
        // udhcpc runs the script with the event name ($1) and the lease in environment variables.
        File.WriteAllText(script, $"#!/bin/sh\nenv | sort > {env}.$1\nexit 0\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        // -f foreground, -q quit once bound, -n give up after -t 5 DISCOVERs 1 s apart.
        var r = ns.ExecWithTimeout(ClientTimeout, busybox,
            ["udhcpc", "-i", ns.ClientInterface, "-f", "-q", "-n", "-t", "5", "-T", "1", "-s", script, .. extra]);
        var bound = env + ".bound";
        Assert.That(File.Exists(bound), Is.True, $"udhcpc got no lease (exit {r.ExitCode}): {r.StdErr} {r.StdOut}\n{diagnostics?.Invoke()}");
        return File.ReadAllLines(bound).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }
}

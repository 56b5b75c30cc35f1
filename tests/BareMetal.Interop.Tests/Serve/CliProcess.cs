using System.Diagnostics;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Serve;

/// <summary>
/// The managed `baremetal` CLI as a separate process with its own environment (a private
/// XDG_CONFIG_HOME, no BAREMETAL_* from the caller) and, for `login`, a password piped to stdin.
/// </summary>
public static class CliProcess
{
    public static PeerResult Run(string configHome, IEnumerable<string> args, string? stdin = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "baremetal.dll");
        var psi = new ProcessStartInfo(Environment.ProcessPath is { } p && Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        foreach (var name in new[] { "BAREMETAL_SERVER", "BAREMETAL_TOKEN", "BAREMETAL_FINGERPRINT" })
        {
            psi.Environment.Remove(name);
        }
        psi.Environment["XDG_CONFIG_HOME"] = configHome;
        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[k] = v;
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the CLI");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(stdin ?? "");
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"baremetal {string.Join(' ', args)} did not finish within 2 min");
        }
        process.WaitForExit();
        return new PeerResult(process.ExitCode, stdout.Result, stderr.Result, "baremetal " + string.Join(' ', args));
    }
}

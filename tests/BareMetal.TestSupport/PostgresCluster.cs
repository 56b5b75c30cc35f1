using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;

namespace BareMetal.TestSupport;

/// <summary>
/// A private PostgreSQL cluster for this test run: Debian's initdb + pg_ctl (run as the postgres user
/// via runuser when we are root, since PostgreSQL refuses to run as root), in a temp dir, listening on
/// a unix socket there and on 127.0.0.1 at a free port, fsync off. Started on first use; each test
/// assembly that uses it stops it from a global [SetUpFixture] (<see cref="StopShared"/>) after its run.
/// Each store test, or each API host, gets its own database (<see cref="CreateDatabase"/>).
/// </summary>
public sealed class PostgresCluster : IDisposable
{
    private static readonly Lock Gate = new();
    private static PostgresCluster? _shared;
    private static string? _failure;
    private readonly string _bin;
    private readonly string _dir;
    private int _databases;

    private PostgresCluster(string bin, string dir, int port)
    {
        _bin = bin;
        _dir = dir;
        Port = port;
    }

    public int Port { get; }

    /// <summary>The running cluster, started on first call; skips (fails on CI) when PostgreSQL is not installed.</summary>
    public static PostgresCluster Shared
    {
        get
        {
            var initdb = Directory.Exists("/usr/lib/postgresql")
                ? Directory.GetDirectories("/usr/lib/postgresql").Order(StringComparer.Ordinal)
                    .Select(d => Path.Combine(d, "bin", "initdb")).LastOrDefault(File.Exists)
                : null;
            initdb = Peer.Require(initdb ?? "/usr/lib/postgresql/15/bin/initdb", "postgresql");
            lock (Gate)
            {
                if (_failure is not null)
                {
                    Assert.Fail(_failure);
                }
                if (_shared is null)
                {
                    try
                    {
                        _shared = Start(Path.GetDirectoryName(initdb)!);
                        // Belt and braces: a test host that exits without running the teardown still stops it.
                        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopShared();
                    }
                    catch (Exception e)
                    {
                        _failure = $"cannot start a private PostgreSQL: {e.Message}";
                        Assert.Fail(_failure);
                    }
                }
                return _shared!;
            }
        }
    }

    public static void StopShared()
    {
        lock (Gate)
        {
            _shared?.Dispose();
            _shared = null;
        }
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static PostgresCluster Start(string bin)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"bm-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        if (IsRoot)
        {
            Run("chown", ["postgres:postgres", dir]);
        }
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var cluster = new PostgresCluster(bin, dir, port);
        cluster.AsPostgres("initdb", ["-D", Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
        cluster.AsPostgres("pg_ctl", ["-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "log"), "-w", "-t", "60",
            "-o", $"-k {dir} -h 127.0.0.1 -p {port} -F -c max_connections=200", "start"]);
        return cluster;
    }

    /// <summary>A new empty database; returns its postgres:// URL (TCP on 127.0.0.1).</summary>
    public string CreateDatabase()
    {
        var name = $"t{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..20];
        AsPostgres("psql", ["-h", _dir, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", "postgres", "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-q", "-c", $"CREATE DATABASE {name}"]);
        return $"postgres://postgres@127.0.0.1:{Port}/{name}";
    }

    private void AsPostgres(string tool, IEnumerable<string> args)
    {
        var path = Path.Combine(_bin, tool);
        if (!File.Exists(path))
        {
            path = tool;
        }
        if (IsRoot)
        {
            Run("runuser", ["-u", "postgres", "--", path, .. args]);
        }
        else
        {
            Run(path, args);
        }
    }

    private static void Run(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = "/" };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromSeconds(90)))
        {
            p.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{file} {string.Join(' ', psi.ArgumentList)} timed out");
        }
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', psi.ArgumentList)} exited {p.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}");
        }
    }

    public void Dispose()
    {
        try
        {
            AsPostgres("pg_ctl", ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"]);
        }
        catch (InvalidOperationException)
        {
        }
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

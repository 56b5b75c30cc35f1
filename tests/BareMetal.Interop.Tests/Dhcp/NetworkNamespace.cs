using System.Globalization;
using BareMetal.TestSupport;

namespace BareMetal.Interop.Tests.Dhcp;

/// <summary>
/// A private network namespace joined to the test's (root) namespace by a veth pair: the host end gets
/// 10.213.N.1/24, the namespace end is left for a DHCP client. Needs root: <see cref="RequireRoot"/> skips
/// elsewhere (and fails under CI, where we are root). Dispose deletes the namespace and both ends.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private static int _counter;

    private NetworkNamespace(string name, string hostInterface, string clientInterface, int subnet)
    {
        Name = name;
        HostInterface = hostInterface;
        ClientInterface = clientInterface;
        Subnet = subnet;
    }

    public string Name { get; }

    /// <summary>veth end in the test's namespace, where our server binds.</summary>
    public string HostInterface { get; }

    /// <summary>veth end inside the namespace, where the client runs.</summary>
    public string ClientInterface { get; }

    /// <summary>N of 10.213.N.0/24.</summary>
    public int Subnet { get; }

    public string HostAddress => $"10.213.{Subnet}.1";

    public static string Ip => Peer.Require("ip", "iproute2");

    public static void RequireRoot()
    {
        if (Environment.UserName == "root")
        {
            return;
        }
        const string Message = "network namespaces need root (run the interop tests as root; CI does)";
        if (Peer.OnCi)
        {
            Assert.Fail(Message);
        }
        Assert.Ignore(Message);
    }

    /// <summary>Creates the namespace and a veth pair with the host end addressed and up.</summary>
    public static NetworkNamespace CreateWithVeth()
    {
        RequireRoot();
        var id = $"{Environment.ProcessId % 10000}{Interlocked.Increment(ref _counter)}";
        var subnet = (int)((Environment.ProcessId + (_counter * 7)) % 200) + 20;
        var ns = new NetworkNamespace($"bmdhcp{id}", $"bmh{id}", $"bmc{id}", subnet);
        try
        {
            Check("netns", "add", ns.Name);
            Check("link", "add", ns.HostInterface, "type", "veth", "peer", "name", ns.ClientInterface);
            Check("link", "set", ns.ClientInterface, "netns", ns.Name);
            Check("addr", "add", $"{ns.HostAddress}/24", "dev", ns.HostInterface);
            Check("link", "set", ns.HostInterface, "up");
            ns.Exec(Ip, "link", "set", "lo", "up");
            ns.Exec(Ip, "link", "set", ns.ClientInterface, "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }
        return ns;
    }

    /// <summary>Runs a command inside the namespace with a hard timeout.</summary>
    public PeerResult Exec(string file, params string[] args) => ExecWithTimeout(TimeSpan.FromSeconds(30), file, args);

    public PeerResult ExecWithTimeout(TimeSpan timeout, string file, params string[] args) =>
        Peer.Run(Ip, ["netns", "exec", Name, file, .. args], timeout);

    public void Dispose()
    {
        // Deleting the namespace destroys the client end, which takes the host end with it; the explicit
        // delete covers a half-built pair.
        Peer.Run(Ip, ["netns", "pids", Name], TimeSpan.FromSeconds(10)).StdOut
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .ToList()
            .ForEach(pid => Peer.Run("kill", ["-9", pid.Trim()], TimeSpan.FromSeconds(10)));
        Peer.Run(Ip, ["netns", "del", Name], TimeSpan.FromSeconds(10));
        Peer.Run(Ip, ["link", "del", HostInterface], TimeSpan.FromSeconds(10));
    }

    private static void Check(params string[] args)
    {
        var r = Peer.Run(Ip, args, TimeSpan.FromSeconds(10));
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {r.StdErr.Trim()}");
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name} ({HostInterface} {HostAddress} <-> {ClientInterface})");
}

using System.Net;
using BareMetal.Provisioning.Web;

namespace BareMetal.Interop.Tests.Dhcp;

/// <summary>The whole server as the DHCP tests run it: HTTP on the veth's host end, no TFTP or block service.</summary>
internal static class NamespaceServe
{
    public static ServeOptions Options(NetworkNamespace ns, string dataDirectory, string adminPassword) => new()
    {
        DataDirectory = dataDirectory,
        Http = new IPEndPoint(IPAddress.Parse(ns.HostAddress), 0),
        Tftp = null,
        Nbd = null,
        Iscsi = null,
        AdminPassword = adminPassword,
        LogToConsole = false,
        PasswordIterations = 1000,
    };
}

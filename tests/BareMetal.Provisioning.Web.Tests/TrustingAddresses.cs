using System.Net;
using BareMetal.Provisioning.Core.Security;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// The in-process host's clients have no real address (TestServer) or all share loopback, so by default
/// the route tests take every address as the node's own: they test routes, not isolation.
/// NodeIsolationTests use this host's real verifier and pinned addresses instead.
/// </summary>
internal sealed class TrustingAddresses : INodeAddressVerifier
{
    public static readonly TrustingAddresses Instance = new();

    public AddressVerdict Verify(string mac, IPAddress address, string? pinnedAddress) => AddressVerdict.Match;
}

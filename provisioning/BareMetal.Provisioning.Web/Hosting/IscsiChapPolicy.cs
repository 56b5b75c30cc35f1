using System.Net;
using System.Security.Cryptography;
using BareMetal.ImageStore.Iscsi.Policy;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.Provisioning.Core.Audit;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// CHAP for the iSCSI target, per login: a node's own target (<c>...:image.vN:525400123456</c>) needs its
/// current deployment's secrets, one-way and mutual (<see cref="Core.Security.NodeKeys"/>; the boot script
/// hands iPXE the same ones); base-image targets and discovery need none (base images are readable by every
/// node, and discovery lists base images only). A login that may not open the target at all (a stranger,
/// an unassigned node) is given secrets nobody knows, so it fails as a wrong password does: 0201, with
/// nothing to tell an unknown node from a known one.
/// </summary>
internal sealed class IscsiChapPolicy(NodeSecurity security) : IIscsiAuthPolicy
{
    public ChapSecrets? Find(IscsiAuthRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.IsDiscovery || !ExportName.TryParse(request.ExportName, out var name) || !name.IsPerNode)
        {
            return null;
        }
        var address = IPAddress.TryParse(request.InitiatorAddress, out var a) ? (a.IsIPv4MappedToIPv6 ? a.MapToIPv4() : a) : IPAddress.None;
        var decision = security.Policy.Export(name.Node!, name.ImageName, name.Version, null, address, chapProven: true);
        if (decision.Allowed && security.Policy.SecretsFor(decision.Mac!) is { } s)
        {
            return new ChapSecrets(s.ChapUser, s.ChapSecret, s.ChapUser, s.TargetChapSecret);
        }
        security.Audit.Record(decision.Mac ?? "?", address.ToString(), "export.open.iscsi", name.Canonical, AuditOutcome.Refused,
            decision.Allowed ? "no deployment under way (its boot script hands out the secrets)" : decision.Reason);
        return new ChapSecrets(name.Node!, Unguessable(), name.Node!, Unguessable());
    }

    private static string Unguessable() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
}

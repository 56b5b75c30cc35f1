using System.Net;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Dhcp.Session;

/// <summary>
/// ProxyDHCP (PXE 2.1 2.2.3): beside the site's DHCP server, which hands out addresses, we tell PXE and
/// HTTP-boot clients what to boot. DISCOVER on port 67 gets an OFFER; REQUEST (or INFORM) on port 4011
/// gets an ACK. yiaddr is always 0.0.0.0: an address from us would fight the site's server. Stateless,
/// so it is thread-safe.
/// </summary>
public sealed class ProxyDhcpSession(ProxyDhcpOptions options, IBootPolicy policy)
{
    public DhcpOutcome Handle(DhcpInbound inbound)
    {
        if (DhcpReplies.Read(inbound, out var request) is { } malformed)
        {
            return malformed;
        }
        return Handle(request, inbound);
    }

    internal DhcpOutcome Handle(DhcpPacket request, DhcpInbound inbound)
    {
        if (request.Op != DhcpOpCode.BootRequest || request.MessageType is not { } type)
        {
            return DhcpOutcome.Dropped($"not a DHCP request from {inbound.Source}");
        }
        if (request.HardwareAddressLength == 0)
        {
            return DhcpOutcome.Dropped($"no hardware address from {inbound.Source}");
        }
        var boot = BootRequest.From(request, options.ServerAddress);
        var contact = new DhcpClientContact(boot.Mac, boot.Architecture, boot.Uuid, NonZero(request.ClientAddress), boot.Firmware, boot.VendorClass, type, null);
        // PXE 2.1: a ProxyDHCP server answers only PXE clients (and UEFI HTTP boot clients). Anyone else
        // (an installed OS's DHCP client) gets no answer, or we would fight the site's DHCP server, but the
        // contact is reported: it is how provisioning sees a streamed node's OS come up.
        if (!boot.IsPxeClient && !boot.IsHttpClient)
        {
            return DhcpOutcome.Dropped($"{boot.Mac}: vendor class '{boot.VendorClass}' is not PXEClient/HTTPClient", contact);
        }
        DhcpMessageType replyType;
        if (inbound.LocalPort == DhcpPorts.PxeBootServer)
        {
            if (type is not (DhcpMessageType.Request or DhcpMessageType.Inform))
            {
                return DhcpOutcome.Dropped($"{boot.Mac}: {type} on port 4011", contact);
            }
            replyType = DhcpMessageType.Ack;
        }
        else
        {
            if (type != DhcpMessageType.Discover)
            {
                // The REQUEST on 67 is for the site's DHCP server.
                return DhcpOutcome.Dropped($"{boot.Mac}: {type} on port 67 is for the DHCP server", contact);
            }
            replyType = DhcpMessageType.Offer;
        }
        if (policy.Decide(boot) is not { } decision)
        {
            return DhcpOutcome.Dropped($"{boot.Mac}: ignored by the boot policy (architecture {Describe(boot.Architecture)}, vendor class '{boot.VendorClass}')", contact);
        }
        var (reply, opts) = DhcpReplies.Start(request, replyType, options.ServerAddress, IPAddress.Any, replyType == DhcpMessageType.Ack ? request.ClientAddress : IPAddress.Any);
        reply = DhcpReplies.AddBoot(reply, opts, request, boot, decision, options.TftpServer ?? options.ServerAddress);
        return DhcpOutcome.Replied(DhcpReplies.Finish(reply, request, replyType, inbound), contact with { BootFile = decision.BootFile });
    }

    internal static IPAddress? NonZero(IPAddress a) => a.Equals(IPAddress.Any) ? null : a;

    internal static string Describe(ClientArchitecture? a) => a is { } v ? $"{(ushort)v} ({v})" : "none";
}

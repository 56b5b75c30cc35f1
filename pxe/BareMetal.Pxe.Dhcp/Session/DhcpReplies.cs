using System.Net;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Wire;

namespace BareMetal.Pxe.Dhcp.Session;

/// <summary>Building and addressing replies; shared by the proxy and full sessions.</summary>
internal static class DhcpReplies
{
    /// <summary>The vendor class we answer PXE clients with (PXE 2.1: required, or the ROM ignores the offer).</summary>
    public const string PxeClientVendorClass = "PXEClient";

    /// <summary>The vendor class UEFI HTTP boot clients require in an offer that carries a URI.</summary>
    public const string HttpClientVendorClass = "HTTPClient";

    /// <summary>Decodes the datagram into <paramref name="request"/>; a malformed one gives the drop it gets (null: decoded).</summary>
    public static DhcpOutcome? Read(DhcpInbound inbound, out DhcpPacket request)
    {
        try
        {
            request = DhcpCodec.Read(inbound.Datagram.Span);
            return null;
        }
        catch (DhcpProtocolException e)
        {
            request = default;
            return DhcpOutcome.Dropped($"malformed from {inbound.Source}: {e.Message}");
        }
    }

    /// <summary>A reply skeleton: xid, flags, giaddr and chaddr copied (RFC 2131 table 3), 53 first and 54 always.</summary>
    public static (DhcpPacket Packet, List<DhcpOption> Options) Start(DhcpPacket request, DhcpMessageType type, IPAddress server, IPAddress yourAddress, IPAddress clientAddress)
    {
        List<DhcpOption> options =
        [
            DhcpOption.Byte(DhcpOptionCode.MessageType, (byte)type),
            // Option 54 in every reply: clients select and later address the server by it, and PXE ROMs
            // drop ProxyDHCP offers without it.
            DhcpOption.Addresses(DhcpOptionCode.ServerIdentifier, server),
        ];
        var p = new DhcpPacket(
            DhcpOpCode.BootReply,
            request.HardwareType,
            request.HardwareAddressLength,
            0,
            request.TransactionId,
            0,
            request.Flags,
            clientAddress,
            yourAddress,
            IPAddress.Any,
            request.RelayAddress,
            request.ClientHardwareAddress,
            "",
            "",
            options);
        return (p, options);
    }

    /// <summary>
    /// Adds the boot information for a PXE or HTTP-boot client: siaddr + option 66 (TFTP server), the file
    /// in both <c>file</c> and option 67 (U-Boot reads only <c>file</c>), option 60, option 43 and the echo of 97.
    /// </summary>
    public static DhcpPacket AddBoot(DhcpPacket reply, List<DhcpOption> options, DhcpPacket request, BootRequest boot, BootDecision decision, IPAddress tftpServer)
    {
        var next = decision.NextServer ?? tftpServer;
        options.Add(DhcpOption.String(DhcpOptionCode.VendorClassIdentifier, boot.IsHttpClient ? HttpClientVendorClass : PxeClientVendorClass));
        if (!boot.IsHttpClient)
        {
            // Sub-option 6 = 8: boot the file in this packet. Without it EDK2 runs boot server discovery
            // and waits on port 4011 (and does not cache ProxyDHCP offers while doing so).
            options.Add(new DhcpOption(DhcpOptionCode.VendorSpecific, new PxeVendorOptions { DiscoveryControl = PxeVendorOptions.BootFileInThisPacket }.Encode()));
        }
        if (request.Get(DhcpOptionCode.ClientMachineIdentifier) is { } uuid)
        {
            // PXE 2.1: echo 97 when the client sent it; some ROMs reject an offer without the echo.
            options.Add(new DhcpOption(DhcpOptionCode.ClientMachineIdentifier, uuid));
        }
        if (!decision.IsUrl)
        {
            options.Add(DhcpOption.String(DhcpOptionCode.TftpServerName, next.ToString()));
        }
        options.Add(DhcpOption.String(DhcpOptionCode.BootFileName, decision.BootFile));
        // The file field holds 127 bytes plus its NUL; a longer URL travels in option 67 only (read by
        // iPXE and HTTP boot clients, the only ones that get URLs).
        var fileField = System.Text.Encoding.UTF8.GetByteCount(decision.BootFile) < DhcpCodec.FileLength ? decision.BootFile : "";
        // siaddr even when the file is a URL: iPXE takes a ProxyDHCP offer's boot information only when it
        // has both siaddr and a file name (dhcp_has_pxeopts); without siaddr it sends a REQUEST to 4011 and
        // then ignores our ACK for the same reason, and boots nothing (seen with QEMU's iPXE EFI ROM).
        return reply with { ServerAddress = next, BootFile = fileField };
    }

    /// <summary>
    /// Where a reply goes (RFC 2131 4.1): to the relay when giaddr is set; to ciaddr when the client has an
    /// address; otherwise broadcast. Unicast to yiaddr would need an ARP entry the kernel will not make for
    /// us without raw sockets; RFC 2131 allows broadcasting instead. Replies to port 4011 go back to the sender.
    /// </summary>
    public static IPEndPoint Destination(DhcpPacket request, DhcpMessageType type, DhcpInbound inbound)
    {
        if (inbound.LocalPort == DhcpPorts.PxeBootServer)
        {
            return inbound.Source;
        }
        if (!request.RelayAddress.Equals(IPAddress.Any))
        {
            return new IPEndPoint(request.RelayAddress, DhcpPorts.Server);
        }
        if (type != DhcpMessageType.Nak && !request.ClientAddress.Equals(IPAddress.Any))
        {
            return new IPEndPoint(request.ClientAddress, DhcpPorts.Client);
        }
        return new IPEndPoint(IPAddress.Broadcast, DhcpPorts.Client);
    }

    public static DhcpReply Finish(DhcpPacket reply, DhcpPacket request, DhcpMessageType type, DhcpInbound inbound)
    {
        if (type == DhcpMessageType.Nak && !request.RelayAddress.Equals(IPAddress.Any))
        {
            // RFC 2131 4.3.2: a NAK through a relay sets the broadcast bit so the relay broadcasts it.
            reply = reply with { Flags = (ushort)(reply.Flags | DhcpPacket.BroadcastFlag) };
        }
        return new DhcpReply(Destination(request, type, inbound), reply, DhcpCodec.Write(reply));
    }
}

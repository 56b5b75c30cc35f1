using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>
/// Option 43 for vendor class "PXEClient": the PXE 2.1 sub-options (spec table 2-1), each a
/// (code, length, value) triple, ended by 255.
/// </summary>
public sealed record PxeVendorOptions
{
    /// <summary>PXE_DISCOVERY_CONTROL: a bit field.</summary>
    public const byte DiscoveryControlCode = 6;

    /// <summary>PXE_BOOT_SERVERS: (type u16, count u8, count IPv4 addresses)*.</summary>
    public const byte BootServersCode = 8;

    /// <summary>PXE_BOOT_MENU: (type u16, length u8, description)*.</summary>
    public const byte BootMenuCode = 9;

    /// <summary>PXE_MENU_PROMPT: timeout u8, prompt.</summary>
    public const byte MenuPromptCode = 10;

    /// <summary>PXE_BOOT_ITEM: type u16, layer u16.</summary>
    public const byte BootItemCode = 71;

    private const byte PadCode = 0;
    private const byte EndCode = 255;

    /// <summary>
    /// Discovery control bit 3: "if a boot file name is in this packet, download and execute it" (no boot
    /// server discovery). Sent as 8 so EDK2 boots the offered file instead of going to port 4011.
    /// Bits 0-2 disable broadcast / multicast discovery and restrict to the listed servers.
    /// </summary>
    public const byte BootFileInThisPacket = 8;

    public byte? DiscoveryControl { get; init; }

    public IReadOnlyList<PxeBootServer> BootServers { get; init; } = [];

    public IReadOnlyList<PxeBootMenuItem> BootMenu { get; init; } = [];

    public PxeMenuPrompt? MenuPrompt { get; init; }

    public PxeBootItem? BootItem { get; init; }

    /// <summary>Sub-options this type does not model, kept so a parse is complete.</summary>
    public IReadOnlyDictionary<byte, byte[]> Other { get; init; } = new Dictionary<byte, byte[]>();

    public static PxeVendorOptions Parse(ReadOnlySpan<byte> v)
    {
        byte? control = null;
        var servers = new List<PxeBootServer>();
        var menu = new List<PxeBootMenuItem>();
        PxeMenuPrompt? prompt = null;
        PxeBootItem? item = null;
        var other = new Dictionary<byte, byte[]>();
        var i = 0;
        while (i < v.Length)
        {
            var code = v[i];
            if (code == PadCode)
            {
                i++;
                continue;
            }
            if (code == EndCode)
            {
                break;
            }
            if (i + 1 >= v.Length || i + 2 + v[i + 1] > v.Length)
            {
                throw Bad($"sub-option {code} overruns option 43", v, i);
            }
            var s = v.Slice(i + 2, v[i + 1]);
            switch (code)
            {
                case DiscoveryControlCode:
                    control = s.Length == 1 ? s[0] : throw Bad("sub-option 6 must be 1 byte", v, i);
                    break;
                case BootServersCode:
                    ParseServers(s, servers, v, i);
                    break;
                case BootMenuCode:
                    ParseMenu(s, menu, v, i);
                    break;
                case MenuPromptCode:
                    prompt = s.Length >= 1 ? new PxeMenuPrompt(s[0], DhcpCodec.DecodeString(s[1..])) : throw Bad("sub-option 10 is empty", v, i);
                    break;
                case BootItemCode:
                    item = s.Length == 4
                        ? new PxeBootItem(BinaryPrimitives.ReadUInt16BigEndian(s), BinaryPrimitives.ReadUInt16BigEndian(s[2..]))
                        : throw Bad("sub-option 71 must be 4 bytes", v, i);
                    break;
                default:
                    other[code] = s.ToArray();
                    break;
            }
            i += 2 + s.Length;
        }
        return new PxeVendorOptions { DiscoveryControl = control, BootServers = servers, BootMenu = menu, MenuPrompt = prompt, BootItem = item, Other = other };
    }

    /// <summary>Encodes the sub-options followed by the End sub-option (PXE 2.1 requires the terminator).</summary>
    public byte[] Encode()
    {
        var b = new List<byte>();
        if (DiscoveryControl is { } c)
        {
            b.AddRange([DiscoveryControlCode, 1, c]);
        }
        if (BootServers.Count > 0)
        {
            var s = new List<byte>();
            foreach (var server in BootServers)
            {
                AddU16(s, server.Type);
                s.Add(checked((byte)server.Addresses.Count));
                foreach (var a in server.Addresses)
                {
                    s.AddRange(DhcpCodec.AddressBytes(a));
                }
            }
            AddSub(b, BootServersCode, s);
        }
        if (BootMenu.Count > 0)
        {
            var s = new List<byte>();
            foreach (var m in BootMenu)
            {
                AddU16(s, m.Type);
                var text = Encoding.UTF8.GetBytes(m.Description);
                s.Add(checked((byte)text.Length));
                s.AddRange(text);
            }
            AddSub(b, BootMenuCode, s);
        }
        if (MenuPrompt is { } p)
        {
            AddSub(b, MenuPromptCode, [p.Timeout, .. Encoding.UTF8.GetBytes(p.Prompt)]);
        }
        if (BootItem is { } bi)
        {
            var s = new List<byte>();
            AddU16(s, bi.Type);
            AddU16(s, bi.Layer);
            AddSub(b, BootItemCode, s);
        }
        foreach (var (code, value) in Other)
        {
            AddSub(b, code, [.. value]);
        }
        b.Add(EndCode);
        return [.. b];
    }

    private static void ParseServers(ReadOnlySpan<byte> s, List<PxeBootServer> servers, ReadOnlySpan<byte> all, int at)
    {
        var j = 0;
        while (j < s.Length)
        {
            if (j + 3 > s.Length || j + 3 + (4 * s[j + 2]) > s.Length)
            {
                throw Bad("sub-option 8 entry overruns", all, at);
            }
            var type = BinaryPrimitives.ReadUInt16BigEndian(s[j..]);
            var n = s[j + 2];
            var addrs = new IPAddress[n];
            for (var k = 0; k < n; k++)
            {
                addrs[k] = new IPAddress(s.Slice(j + 3 + (4 * k), 4));
            }
            servers.Add(new PxeBootServer(type, addrs));
            j += 3 + (4 * n);
        }
    }

    private static void ParseMenu(ReadOnlySpan<byte> s, List<PxeBootMenuItem> menu, ReadOnlySpan<byte> all, int at)
    {
        var j = 0;
        while (j < s.Length)
        {
            if (j + 3 > s.Length || j + 3 + s[j + 2] > s.Length)
            {
                throw Bad("sub-option 9 entry overruns", all, at);
            }
            menu.Add(new PxeBootMenuItem(BinaryPrimitives.ReadUInt16BigEndian(s[j..]), DhcpCodec.DecodeString(s.Slice(j + 3, s[j + 2]))));
            j += 3 + s[j + 2];
        }
    }

    private static void AddU16(List<byte> b, ushort v)
    {
        b.Add((byte)(v >> 8));
        b.Add((byte)(v & 0xff));
    }

    private static void AddSub(List<byte> b, byte code, List<byte> value)
    {
        if (value.Count > 255)
        {
            throw new InvalidOperationException($"PXE sub-option {code} exceeds 255 bytes");
        }
        b.Add(code);
        b.Add((byte)value.Count);
        b.AddRange(value);
    }

    private static DhcpProtocolException Bad(string what, ReadOnlySpan<byte> v, int at) =>
        DhcpProtocolException.Create(DhcpProtocolError.BadVendorSubOption, what, v[at..], at);
}

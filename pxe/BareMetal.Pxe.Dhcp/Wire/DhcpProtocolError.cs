namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>Why a datagram is not a DHCP/BOOTP message we accept. Each has its own test.</summary>
public enum DhcpProtocolError
{
    /// <summary>Shorter than the fixed BOOTP header plus the magic cookie (240 bytes).</summary>
    PacketTooShort = 1,

    /// <summary>Longer than the largest UDP payload over IPv4 (65507 bytes).</summary>
    PacketTooLong = 2,

    /// <summary><c>op</c> is neither BOOTREQUEST (1) nor BOOTREPLY (2).</summary>
    BadOpCode = 3,

    /// <summary><c>hlen</c> exceeds the 16-byte <c>chaddr</c> field.</summary>
    BadHardwareAddressLength = 4,

    /// <summary>An option code is the last byte of its area: its length byte is missing.</summary>
    OptionLengthMissing = 5,

    /// <summary>An option's length runs past the end of its area.</summary>
    OptionValueTruncated = 6,

    /// <summary>The options field has no End (255) option.</summary>
    MissingEndOption = 7,

    /// <summary>Option 52 (overload) is not 1, 2 or 3.</summary>
    BadOverloadValue = 8,

    /// <summary>A well-known option has a length its definition forbids (e.g. option 53 not 1 byte).</summary>
    InvalidOptionLength = 9,

    /// <summary>Option 43 (PXE vendor options) has a truncated or malformed sub-option.</summary>
    BadVendorSubOption = 10,

    /// <summary>Option 97 (client machine identifier) has a type other than 0 (GUID).</summary>
    BadClientIdentifierType = 11,
}

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// The answer to Get Channel Authentication Capabilities (IPMI 2.0 table 22-15), asked with the
/// "IPMI 2.0 extended data" bit: whether the channel takes RMCP+ sessions at all.
/// </summary>
public sealed record ChannelAuthCapabilities(byte Channel, bool ExtendedCapabilities, bool SupportsIpmi20, bool AnonymousLogin)
{
    public static ChannelAuthCapabilities Read(ReadOnlySpan<byte> data)
    {
        if (data.Length < 8)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "Get Channel Authentication Capabilities data shorter than 8 bytes", data);
        }
        var extended = (data[1] & 0x80) != 0;
        return new ChannelAuthCapabilities(data[0], extended, extended && (data[3] & 0x02) != 0, (data[2] & 0x01) != 0);
    }
}

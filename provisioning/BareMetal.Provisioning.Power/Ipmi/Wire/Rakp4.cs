using System.Buffers.Binary;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>RAKP Message 4 (IPMI 2.0 table 13-14): status and the integrity check value (HMAC over Rm, SIDc, GUIDc keyed with the SIK).</summary>
public sealed record Rakp4(byte MessageTag, byte Status, uint ConsoleSessionId, byte[] IntegrityCheckValue)
{
    public static Rakp4 Read(ReadOnlySpan<byte> p, int icvLength)
    {
        // A refusal may be as short as tag and status: ipmi_sim sends just those two bytes.
        if (p.Length >= 2 && p[1] != RakpStatus.NoErrors)
        {
            return new Rakp4(p[0], p[1], ErrorConsoleId(p), []);
        }
        if (p.Length < 8)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "RAKP 4 shorter than 8 bytes", p);
        }
        var consoleId = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        if (p.Length < 8 + icvLength)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "RAKP 4 too short for its integrity check value", p);
        }
        return new Rakp4(p[0], p[1], consoleId, p.Slice(8, icvLength).ToArray());
    }

    private static uint ErrorConsoleId(ReadOnlySpan<byte> p) => p.Length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(p[4..]) : 0;
}

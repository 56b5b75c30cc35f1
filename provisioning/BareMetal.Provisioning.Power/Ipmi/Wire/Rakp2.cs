using System.Buffers.Binary;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// RAKP Message 2 (IPMI 2.0 table 13-12): the BMC's random number Rc, its GUID and its proof that it
/// knows the user's key (HMAC over SIDm, SIDc, Rm, Rc, GUIDc, role, name length, name).
/// </summary>
public sealed record Rakp2(byte MessageTag, byte Status, uint ConsoleSessionId, byte[] ManagedRandom, byte[] ManagedGuid, byte[] KeyExchangeAuthCode)
{
    public const int FixedLength = 40;

    public static Rakp2 Read(ReadOnlySpan<byte> p, int authCodeLength)
    {
        // A refusal may be as short as tag and status: ipmi_sim sends just those two bytes.
        if (p.Length >= 2 && p[1] != RakpStatus.NoErrors)
        {
            return new Rakp2(p[0], p[1], ErrorConsoleId(p), [], [], []);
        }
        if (p.Length < 8)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "RAKP 2 shorter than 8 bytes", p);
        }
        var consoleId = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        if (p.Length < FixedLength + authCodeLength)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "RAKP 2 too short for its random number, GUID and auth code", p);
        }
        return new Rakp2(p[0], p[1], consoleId, p.Slice(8, 16).ToArray(), p.Slice(24, 16).ToArray(), p.Slice(40, authCodeLength).ToArray());
    }

    private static uint ErrorConsoleId(ReadOnlySpan<byte> p) => p.Length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(p[4..]) : 0;
}

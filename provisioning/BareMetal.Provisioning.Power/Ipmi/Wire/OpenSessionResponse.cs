using System.Buffers.Binary;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// RMCP+ Open Session Response (IPMI 2.0 table 13-10). On an error status a BMC may send only the first
/// 8 bytes; the session ID and algorithms are then absent.
/// </summary>
public sealed record OpenSessionResponse(byte MessageTag, byte Status, byte MaxPrivilege, uint ConsoleSessionId, uint ManagedSessionId, byte AuthenticationAlgorithm, byte IntegrityAlgorithm, byte ConfidentialityAlgorithm)
{
    public const int ErrorLength = 8;
    public const int Length = 36;

    public static OpenSessionResponse Read(ReadOnlySpan<byte> p)
    {
        // A refusal may be as short as tag and status: ipmi_sim sends just those two bytes.
        if (p.Length >= 2 && p[1] != RakpStatus.NoErrors)
        {
            return new OpenSessionResponse(p[0], p[1], p.Length > 2 ? p[2] : (byte)0, ErrorConsoleId(p), 0, 0, 0, 0);
        }
        if (p.Length < 8)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "Open Session Response shorter than 8 bytes", p);
        }
        var consoleId = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        if (p.Length < Length)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "Open Session Response shorter than 36 bytes", p);
        }
        return new OpenSessionResponse(p[0], p[1], p[2], consoleId, BinaryPrimitives.ReadUInt32LittleEndian(p[8..]), p[16], p[24], p[32]);
    }

    private static uint ErrorConsoleId(ReadOnlySpan<byte> p) => p.Length >= 8 ? BinaryPrimitives.ReadUInt32LittleEndian(p[4..]) : 0;
}

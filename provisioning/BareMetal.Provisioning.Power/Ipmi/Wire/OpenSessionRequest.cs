using System.Buffers.Binary;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// RMCP+ Open Session Request (IPMI 2.0 table 13-9): tag, requested maximum privilege (0 = the highest
/// the user and channel allow), the console's session ID, then the three 8-byte algorithm records
/// (authentication, integrity, confidentiality) naming the cipher suite.
/// </summary>
public sealed record OpenSessionRequest(byte MessageTag, byte MaxPrivilege, uint ConsoleSessionId, CipherSuite Suite)
{
    public const int Length = 32;

    public byte[] Write()
    {
        var p = new byte[Length];
        p[0] = MessageTag;
        p[1] = MaxPrivilege;
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), ConsoleSessionId);
        WriteAlgorithm(p.AsSpan(8), 0x00, Suite.AuthenticationAlgorithm);
        WriteAlgorithm(p.AsSpan(16), 0x01, Suite.IntegrityAlgorithm);
        WriteAlgorithm(p.AsSpan(24), 0x02, Suite.ConfidentialityAlgorithm);
        return p;
    }

    // Payload type, 2 reserved, payload length 8, algorithm, 3 reserved.
    private static void WriteAlgorithm(Span<byte> d, byte type, byte algorithm)
    {
        d[0] = type;
        d[3] = 0x08;
        d[4] = algorithm;
    }
}

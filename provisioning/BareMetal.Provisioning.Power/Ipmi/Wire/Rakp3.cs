using System.Buffers.Binary;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>RAKP Message 3 (IPMI 2.0 table 13-13): the console's proof (HMAC over Rc, SIDm, role, name length, name).</summary>
public sealed record Rakp3(byte MessageTag, byte Status, uint ManagedSessionId, byte[] KeyExchangeAuthCode)
{
    public byte[] Write()
    {
        var p = new byte[8 + KeyExchangeAuthCode.Length];
        p[0] = MessageTag;
        p[1] = Status;
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), ManagedSessionId);
        KeyExchangeAuthCode.CopyTo(p, 8);
        return p;
    }
}

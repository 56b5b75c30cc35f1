using System.Buffers.Binary;
using System.Text;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// RAKP Message 1 (IPMI 2.0 table 13-11): the console's random number Rm, the requested role
/// (privilege in bits 3:0; bit 4 clear = look the user up by name and privilege) and the user name.
/// </summary>
public sealed record Rakp1(byte MessageTag, uint ManagedSessionId, byte[] ConsoleRandom, byte Role, string UserName)
{
    /// <summary>IPMI user names are at most 16 bytes.</summary>
    public const int MaxUserName = 16;

    public byte[] UserNameBytes => Encoding.ASCII.GetBytes(UserName);

    public byte[] Write()
    {
        var name = UserNameBytes;
        if (name.Length > MaxUserName || ConsoleRandom.Length != 16)
        {
            throw new ArgumentException("IPMI user names are at most 16 bytes; Rm is 16 bytes");
        }
        var p = new byte[28 + name.Length];
        p[0] = MessageTag;
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(4), ManagedSessionId);
        ConsoleRandom.CopyTo(p, 8);
        p[24] = Role;
        p[27] = (byte)name.Length;
        name.CopyTo(p, 28);
        return p;
    }
}

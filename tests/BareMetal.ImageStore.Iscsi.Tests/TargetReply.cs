using System.Buffers.Binary;
using BareMetal.ImageStore.Iscsi.Wire;

namespace BareMetal.ImageStore.Iscsi.Tests;

/// <summary>One PDU the target sent, parsed for assertions.</summary>
internal sealed record TargetReply(byte[] Bhs, byte[] Data)
{
    public IscsiOpcode Opcode => (IscsiOpcode)(Bhs[0] & 0x3f);

    public byte Flags => Bhs[1];

    public uint Word(int offset) => BinaryPrimitives.ReadUInt32BigEndian(Bhs.AsSpan(offset));

    public uint Itt => Word(16);

    public uint StatSN => Word(24);

    public ushort StatusWord => BinaryPrimitives.ReadUInt16BigEndian(Bhs.AsSpan(36));

    public byte ScsiStatus => Bhs[3];

    /// <summary>Sense key / ASC / ASCQ of a CHECK CONDITION response.</summary>
    public (byte Key, byte Asc, byte Ascq) Sense => (Data[2 + 2], Data[2 + 12], Data[2 + 13]);

    public string Text => System.Text.Encoding.UTF8.GetString(Data);

    public static List<TargetReply> ParseAll(byte[] bytes)
    {
        var list = new List<TargetReply>();
        var pos = 0;
        while (pos < bytes.Length)
        {
            var bhs = bytes.AsSpan(pos, 48).ToArray();
            var dsl = (bhs[5] << 16) | (bhs[6] << 8) | bhs[7];
            var data = bytes.AsSpan(pos + 48, dsl).ToArray();
            list.Add(new TargetReply(bhs, data));
            pos += 48 + ((dsl + 3) & ~3);
        }
        return list;
    }
}

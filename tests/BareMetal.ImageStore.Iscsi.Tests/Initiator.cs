using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Iscsi.Wire;

namespace BareMetal.ImageStore.Iscsi.Tests;

/// <summary>A scripted initiator for session tests: builds PDUs, runs them through a session, parses the replies.</summary>
internal sealed class Initiator
{
    public Initiator(IscsiSession session)
    {
        Session = session;
    }

    public IscsiSession Session { get; }

    public uint CmdSN { get; set; } = 1;

    public uint NextItt { get; set; } = 0x100;

    public static byte[] Pdu(IscsiOpcode op, byte flags, ReadOnlySpan<byte> data, Action<byte[]>? fill = null, bool immediate = false)
    {
        var bhs = new byte[48];
        bhs[0] = (byte)((byte)op | (immediate ? 0x40 : 0));
        bhs[1] = flags;
        bhs[5] = unchecked((byte)(data.Length >> 16));
        bhs[6] = unchecked((byte)(data.Length >> 8));
        bhs[7] = unchecked((byte)data.Length);
        fill?.Invoke(bhs);
        var padded = (data.Length + 3) & ~3;
        var all = new byte[48 + padded];
        bhs.CopyTo(all, 0);
        data.CopyTo(all.AsSpan(48));
        return all;
    }

    public static void Word(byte[] bhs, int offset, uint value) => BinaryPrimitives.WriteUInt32BigEndian(bhs.AsSpan(offset), value);

    public static byte[] Keys(params string[] pairs) => Encoding.UTF8.GetBytes(string.Concat(pairs.Select(p => p + "\0")));

    /// <summary>Feeds raw bytes (one or more PDUs) and returns the target's PDUs.</summary>
    public List<TargetReply> Send(byte[] bytes)
    {
        var output = new ArrayBufferWriter<byte>();
        var seq = new ReadOnlySequence<byte>(bytes);
        while (IscsiCodec.TryRead(ref seq, Session.MaxDataSegment, out var h, out var data))
        {
            Session.Handle(h, data.ToArray(), output);
        }
        return TargetReply.ParseAll(output.WrittenMemory.ToArray());
    }

    public List<TargetReply> Login(string target = "iqn.2026-11.dev.baremetal:disk", bool initialR2T = false, bool immediateData = true, int maxRecv = 262144, string? sessionType = null)
    {
        var keys = new List<string> { "InitiatorName=iqn.2026-11.test:init", $"SessionType={sessionType ?? "Normal"}" };
        if (sessionType != "Discovery")
        {
            keys.Add($"TargetName={target}");
        }
        keys.Add("AuthMethod=None");
        var sec = Send(Pdu(IscsiOpcode.LoginRequest, 0x80 | 0x01, Keys([.. keys]), b => { b[0] |= 0x40; Word(b, 16, 1); Word(b, 24, CmdSN); }));
        if (sec[^1].StatusWord != 0 || Session.State == IscsiSessionState.Closed)
        {
            return sec;
        }
        var op = Keys("HeaderDigest=None,CRC32C", "DataDigest=None", $"InitialR2T={(initialR2T ? "Yes" : "No")}",
            $"ImmediateData={(immediateData ? "Yes" : "No")}", "MaxBurstLength=262144", "FirstBurstLength=65536",
            $"MaxRecvDataSegmentLength={maxRecv}", "MaxOutstandingR2T=1", "ErrorRecoveryLevel=0", "DataPDUInOrder=Yes", "DataSequenceInOrder=Yes");
        return Send(Pdu(IscsiOpcode.LoginRequest, 0x80 | (1 << 2) | 0x03, op, b => { b[0] |= 0x40; Word(b, 16, 1); Word(b, 24, CmdSN); }));
    }

    /// <summary>A SCSI command; <paramref name="immediate"/> data rides in the PDU.</summary>
    public byte[] Command(ReadOnlySpan<byte> cdb, uint expected, bool read, bool write, ReadOnlySpan<byte> immediate = default, bool final = true, ulong lun = 0, uint? cmdSN = null)
    {
        var itt = NextItt++;
        var sn = cmdSN ?? CmdSN++;
        var c = cdb.ToArray();
        return Pdu(IscsiOpcode.ScsiCommand, (byte)((final ? 0x80 : 0) | (read ? 0x40 : 0) | (write ? 0x20 : 0)), immediate, b =>
        {
            BinaryPrimitives.WriteUInt64BigEndian(b.AsSpan(8), lun);
            Word(b, 16, itt);
            Word(b, 20, expected);
            Word(b, 24, sn);
            c.CopyTo(b, 32);
        });
    }

    public static byte[] DataOut(uint itt, uint ttt, uint offset, ReadOnlySpan<byte> data, bool final, uint dataSN = 0) =>
        Pdu(IscsiOpcode.DataOut, final ? (byte)0x80 : (byte)0, data, b =>
        {
            Word(b, 16, itt);
            Word(b, 20, ttt);
            Word(b, 36, dataSN);
            Word(b, 40, offset);
        });

    public static byte[] Read10(uint lba, ushort blocks)
    {
        var c = new byte[10];
        c[0] = 0x28;
        BinaryPrimitives.WriteUInt32BigEndian(c.AsSpan(2), lba);
        BinaryPrimitives.WriteUInt16BigEndian(c.AsSpan(7), blocks);
        return c;
    }

    public static byte[] Write10(uint lba, ushort blocks)
    {
        var c = Read10(lba, blocks);
        c[0] = 0x2a;
        return c;
    }
}

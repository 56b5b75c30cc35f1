using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using BareMetal.Provisioning.Power.Ipmi.Wire;

namespace BareMetal.Provisioning.Power.Tests.Ipmi;

/// <summary>
/// The BMC side of RMCP+ for pure session tests (shared with the fuzz tests): answers datagrams with
/// datagrams, computing RAKP 2 and 4 from the formulas of IPMI 2.0 section 13.31 written out here
/// independently of the client's code. Power is a bool; boot flags are kept as sent.
/// </summary>
internal sealed class FakeIpmiBmc
{
    private static readonly byte[] Guid = Convert.FromHexString("a123456789abcdefa123456789abcdef");
    private readonly string _user;
    private readonly byte[] _password;
    private readonly byte[] _managedRandom = Convert.FromHexString("00112233445566778899aabbccddeeff");
    private uint _consoleSessionId;
    private readonly uint _managedSessionId = 0x5EED0001;
    private byte[] _consoleRandom = [];
    private byte _role;
    private byte[] _k1 = [];
    private byte[] _k2 = [];
    private uint _sequence;

    public FakeIpmiBmc(string user, string password)
    {
        _user = user;
        _password = Encoding.UTF8.GetBytes(password);
    }

    public bool PowerOn { get; set; }

    public byte[] BootFlags { get; private set; } = [];

    public bool SessionOpen { get; private set; }

    /// <summary>Answers every Chassis Control with this completion code when set.</summary>
    public byte? ChassisControlCode { get; set; }

    public byte[]? Answer(ReadOnlySpan<byte> datagram)
    {
        if (datagram[4] == IpmiSessionWrapper.AuthTypeNone)
        {
            var rq = IpmiSessionWrapper.ReadV15(datagram);
            // Channel 1, IPMI 2.0 extended data: auth types (b7 extended), non-null users, v2.0 supported.
            return IpmiSessionWrapper.WriteV15(Response(rq, 0, [0x01, 0x80 | 0x04, 0x04, 0x02, 0, 0, 0, 0]));
        }
        var packet = IpmiSessionWrapper.ReadV2(datagram, SessionOpen ? CipherSuite.Suite3 : null, SessionOpen ? _k1 : null);
        switch (packet.PayloadType)
        {
            case IpmiPayloadType.OpenSessionRequest:
                {
                    var p = packet.Payload;
                    _consoleSessionId = BinaryPrimitives.ReadUInt32LittleEndian(p.AsSpan(4));
                    var r = new byte[36];
                    r[0] = p[0];
                    r[2] = 4;
                    BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(4), _consoleSessionId);
                    BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(8), _managedSessionId);
                    p.AsSpan(8, 24).CopyTo(r.AsSpan(12));
                    return IpmiSessionWrapper.WriteV2(IpmiPayloadType.OpenSessionResponse, false, 0, 0, r);
                }
            case IpmiPayloadType.Rakp1:
                {
                    var p = packet.Payload;
                    _consoleRandom = p.AsSpan(8, 16).ToArray();
                    _role = p[24];
                    var name = Encoding.ASCII.GetString(p.AsSpan(28, p[27]));
                    if (name != _user)
                    {
                        return IpmiSessionWrapper.WriteV2(IpmiPayloadType.Rakp2, false, 0, 0, [p[0], 0x0D, 0, 0, .. U32(_consoleSessionId)]);
                    }
                    var code = HMACSHA1.HashData(_password, (byte[])[.. U32(_consoleSessionId), .. U32(_managedSessionId), .. _consoleRandom, .. _managedRandom, .. Guid, _role, (byte)_user.Length, .. Encoding.ASCII.GetBytes(_user)]);
                    return IpmiSessionWrapper.WriteV2(IpmiPayloadType.Rakp2, false, 0, 0, [p[0], 0, 0, 0, .. U32(_consoleSessionId), .. _managedRandom, .. Guid, .. code]);
                }
            case IpmiPayloadType.Rakp3:
                {
                    var p = packet.Payload;
                    var expected = HMACSHA1.HashData(_password, (byte[])[.. _managedRandom, .. U32(_consoleSessionId), _role, (byte)_user.Length, .. Encoding.ASCII.GetBytes(_user)]);
                    if (!expected.AsSpan().SequenceEqual(p.AsSpan(8)))
                    {
                        return IpmiSessionWrapper.WriteV2(IpmiPayloadType.Rakp4, false, 0, 0, [p[0], 0x0F, 0, 0, .. U32(_consoleSessionId)]);
                    }
                    var sik = HMACSHA1.HashData(_password, (byte[])[.. _consoleRandom, .. _managedRandom, _role, (byte)_user.Length, .. Encoding.ASCII.GetBytes(_user)]);
                    _k1 = HMACSHA1.HashData(sik, Enumerable.Repeat((byte)1, 20).ToArray());
                    _k2 = HMACSHA1.HashData(sik, Enumerable.Repeat((byte)2, 20).ToArray());
                    var icv = HMACSHA1.HashData(sik, (byte[])[.. _consoleRandom, .. U32(_managedSessionId), .. Guid])[..12];
                    SessionOpen = true;
                    return IpmiSessionWrapper.WriteV2(IpmiPayloadType.Rakp4, false, 0, 0, [p[0], 0, 0, 0, .. U32(_consoleSessionId), .. icv]);
                }
            case IpmiPayloadType.IpmiMessage when SessionOpen:
                {
                    var rq = AesCbcConfidentiality.Decrypt(_k2, packet.Payload);
                    var netFn = rq[1] >> 2;
                    var cmd = rq[5];
                    var data = rq.AsSpan(6, rq.Length - 7).ToArray();
                    byte[] rs = (netFn, cmd) switch
                    {
                        (0x06, IpmiCommand.SetSessionPrivilegeLevel) => Response(rq, 0, [data[0]]),
                        (0x06, IpmiCommand.CloseSession) => Response(rq, 0, []),
                        (0x00, IpmiCommand.GetChassisStatus) => Response(rq, 0, [(byte)(PowerOn ? 1 : 0), 0, 0]),
                        (0x00, IpmiCommand.ChassisControl) when ChassisControlCode is { } cc => Response(rq, cc, []),
                        (0x00, IpmiCommand.ChassisControl) => Control(rq, data[0]),
                        (0x00, IpmiCommand.SetSystemBootOptions) => Boot(rq, data),
                        _ => Response(rq, IpmiCompletionCode.InvalidCommand, []),
                    };
                    if (netFn == 0x06 && cmd == IpmiCommand.CloseSession)
                    {
                        SessionOpen = false;
                    }
                    var iv = new byte[16];
                    RandomNumberGenerator.Fill(iv);
                    return IpmiSessionWrapper.WriteV2(IpmiPayloadType.IpmiMessage, true, _consoleSessionId, ++_sequence, AesCbcConfidentiality.Encrypt(_k2, iv, rs), CipherSuite.Suite3, _k1);
                }
            default:
                return null;
        }
    }

    private byte[] Control(byte[] rq, byte action)
    {
        PowerOn = action switch
        {
            0 or 5 => false,
            1 or 2 or 3 => true,
            _ => PowerOn,
        };
        return Response(rq, 0, []);
    }

    private byte[] Boot(byte[] rq, byte[] data)
    {
        BootFlags = data;
        return Response(rq, 0, []);
    }

    /// <summary>A response message to request <paramref name="rq"/>, checksums included.</summary>
    public static byte[] Response(byte[] rq, byte completionCode, byte[] data)
    {
        var m = new byte[8 + data.Length];
        m[0] = rq[3];
        m[1] = (byte)(((rq[1] >> 2) + 1) << 2);
        m[2] = IpmiMessage.Checksum(m.AsSpan(0, 2));
        m[3] = rq[0];
        m[4] = rq[4];
        m[5] = rq[5];
        m[6] = completionCode;
        data.CopyTo(m, 7);
        m[^1] = IpmiMessage.Checksum(m.AsSpan(3, m.Length - 4));
        return m;
    }

    private static byte[] U32(uint v)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, v);
        return b;
    }
}

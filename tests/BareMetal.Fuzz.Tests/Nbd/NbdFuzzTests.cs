using System.Buffers;
using System.Diagnostics;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Raw;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.ImageStore.Nbd.Session;
using BareMetal.ImageStore.Nbd.Wire;
using BareMetal.TestSupport;

namespace BareMetal.Fuzz.Tests.Nbd;

/// <summary>
/// Mutated option and request streams through the NBD codec and sessions: the only failure allowed is
/// a clean <see cref="NbdProtocolException"/> (which closes the connection); nothing else may escape.
/// Bounded by count and time.
/// </summary>
public class NbdFuzzTests
{
    private const int Iterations = 100_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    private TempDir _dir = null!;
    private FileExportProvider _exports = null!;

    [SetUp]
    public void SetUp()
    {
        _dir = new TempDir("nbd-fuzz");
        var path = _dir.File("disk.raw");
        using (var f = File.Create(path))
        {
            f.SetLength(1 << 20);
            f.Position = 65536;
            f.Write(new byte[8192].Select((_, i) => (byte)(i & 0xff)).ToArray());
        }
        _exports = new FileExportProvider(new RawDisk(FileSource.Open(path, true), ImageFormat.Raw, true), readOnly: false, ["disk", ""]);
    }

    [TearDown]
    public void TearDown()
    {
        _exports?.Dispose();
        _dir?.Dispose();
    }

    private static byte[] Option(uint option, byte[] data)
    {
        var b = new byte[16 + data.Length];
        NbdCodec.WriteOptionHeader(b, option, (uint)data.Length);
        data.CopyTo(b, 16);
        return b;
    }

    private static byte[] MetaRequest(string name, params string[] queries)
    {
        var ms = new MemoryStream();
        void U32(uint v)
        {
            Span<byte> b = stackalloc byte[4];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b, v);
            ms.Write(b);
        }
        void Str(string s)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(s);
            U32((uint)bytes.Length);
            ms.Write(bytes);
        }
        Str(name);
        U32((uint)queries.Length);
        foreach (var q in queries)
        {
            Str(q);
        }
        return ms.ToArray();
    }

    private static byte[] InfoRequest(string name, params ushort[] infos)
    {
        var n = System.Text.Encoding.UTF8.GetBytes(name);
        var b = new byte[4 + n.Length + 2 + 2 * infos.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b, (uint)n.Length);
        n.CopyTo(b, 4);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(4 + n.Length), (ushort)infos.Length);
        for (var i = 0; i < infos.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(6 + n.Length + 2 * i), infos[i]);
        }
        return b;
    }

    private static byte[] Seed() =>
    [
        .. Option(NbdProtocol.OptStructuredReply, []),
        .. Option(NbdProtocol.OptListMetaContext, MetaRequest("disk")),
        .. Option(NbdProtocol.OptSetMetaContext, MetaRequest("disk", NbdProtocol.BaseAllocation)),
        .. Option(NbdProtocol.OptList, []),
        .. Option(NbdProtocol.OptInfo, InfoRequest("disk", 0, 1, 2, 3)),
        .. Option(NbdProtocol.OptGo, InfoRequest("disk", NbdProtocol.InfoBlockSize)),
    ];

    private static byte[] Mutate(Random rng, byte[] seed)
    {
        var b = seed.ToList();
        var edits = rng.Next(1, 6);
        for (var e = 0; e < edits && b.Count > 0; e++)
        {
            var at = rng.Next(b.Count);
            switch (rng.Next(5))
            {
                case 0:
                    b[at] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1:
                    b[at] = (byte)rng.Next(256);
                    break;
                case 2:
                    b.Insert(at, (byte)rng.Next(256));
                    break;
                case 3:
                    b.RemoveAt(at);
                    break;
                default:
                    // Overwrite 4 bytes with an interesting number (a length field, often).
                    var v = new uint[] { 0, 1, 0xffff_ffff, 0x7fff_ffff, 0x1_0000, (uint)NbdLimits.MaxOptionData + 1, 4096 }[rng.Next(7)];
                    for (var k = 0; k < 4 && at + k < b.Count; k++)
                    {
                        b[at + k] = (byte)((v >> (24 - 8 * k)) & 0xff);
                    }
                    break;
            }
        }
        return [.. b];
    }

    [Test]
    public void MutatedOptionStreams_OnlyCleanProtocolErrors()
    {
        var rng = new Random(20261122);
        var seed = Seed();
        var clock = Stopwatch.StartNew();
        var protocolErrors = 0;
        var transmits = 0;
        var i = 0;
        for (; i < Iterations && clock.Elapsed < Budget; i++)
        {
            var input = new ReadOnlySequence<byte>(Mutate(rng, seed));
            var hs = new NbdHandshake(_exports);
            var output = new ArrayBufferWriter<byte>();
            try
            {
                while (NbdCodec.TryReadOption(ref input, out var header, out var data))
                {
                    if (hs.Handle(header.Option, data.ToArray(), output) != HandshakeOutcome.Continue)
                    {
                        transmits++;
                        break;
                    }
                }
            }
            catch (NbdProtocolException)
            {
                protocolErrors++;
            }
        }
        Assert.That(i, Is.GreaterThan(1000), "too few iterations to mean anything");
        Assert.That(protocolErrors, Is.GreaterThan(0));
        Assert.That(transmits, Is.GreaterThan(0));
    }

    [Test]
    public void MutatedRequestStreams_OnlyCleanProtocolErrorsOrNbdErrors()
    {
        var export = _exports.Find("disk")!;
        var rng = new Random(7);
        var seed = new List<byte>();
        void Req(ushort flags, ushort type, ulong offset, uint length, int payload = 0)
        {
            var h = new byte[NbdProtocol.RequestHeaderLength];
            NbdCodec.WriteRequest(h, new NbdRequest(flags, type, 1, offset, length));
            seed.AddRange(h);
            seed.AddRange(new byte[payload]);
        }
        Req(0, NbdProtocol.CmdRead, 65536, 4096);
        Req(NbdProtocol.CmdFlagDf, NbdProtocol.CmdRead, 0, 131072);
        Req(NbdProtocol.CmdFlagFua, NbdProtocol.CmdWrite, 512, 512, 512);
        Req(NbdProtocol.CmdFlagNoHole, NbdProtocol.CmdWriteZeroes, 4096, 4096);
        Req(NbdProtocol.CmdFlagReqOne, NbdProtocol.CmdBlockStatus, 0, 1 << 20);
        Req(0, NbdProtocol.CmdTrim, 0, 4096);
        Req(0, NbdProtocol.CmdCache, 0, 4096);
        Req(0, NbdProtocol.CmdFlush, 0, 0);
        var seedBytes = seed.ToArray();
        var clock = Stopwatch.StartNew();
        var errors = 0;
        var replies = 0;
        var i = 0;
        for (; i < Iterations && clock.Elapsed < Budget; i++)
        {
            var input = new ReadOnlySequence<byte>(Mutate(rng, seedBytes));
            var session = new NbdTransmission(export, structuredReplies: (i & 1) == 0, baseAllocation: (i & 2) == 0, blockSizeAgreed: (i & 4) == 0);
            try
            {
                while (NbdCodec.TryReadRequest(ref input, out var r))
                {
                    var payload = r.Type == NbdProtocol.CmdWrite ? (int)r.Length : 0;
                    if (input.Length < payload)
                    {
                        break;
                    }
                    var data = input.Slice(0, payload).ToArray();
                    input = input.Slice(payload);
                    using var reply = session.Execute(r, data);
                    if (reply is null)
                    {
                        break;
                    }
                    replies++;
                }
            }
            catch (NbdProtocolException)
            {
                errors++;
            }
        }
        Assert.That(i, Is.GreaterThan(1000));
        Assert.That(replies, Is.GreaterThan(i));
        Assert.That(errors, Is.GreaterThan(0));
    }
}

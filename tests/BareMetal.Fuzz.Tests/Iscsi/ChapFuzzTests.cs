using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.Raw;
using BareMetal.ImageStore.Iscsi.Policy;
using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Iscsi.Wire;
using BareMetal.ImageStore.Nbd.Exports;
using BareMetal.TestSupport;

namespace BareMetal.Fuzz.Tests.Iscsi;

/// <summary>
/// CHAP's value parsers against reference decoders (differential: whatever one takes, the other must take
/// alike), and the whole CHAP exchange through the login state machine with mutated answers: the only
/// outcomes are success for the one right answer, or login status 0201 with the session closed.
/// Seeded, so a failure prints the iteration and reproduces.
/// </summary>
public class ChapFuzzTests
{
    private const int Iterations = 100_000;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(20);
    private const string Alphabet = "0123456789abcdefABCDEFxXbBgz+/= -_\0\u00e9\u4e00";

    private static readonly string[] ValueSeeds =
    [
        "0x00ff10", "0XABcd", "0xabc", "0x7", "0bAAEC", "0BAAE=", "0b/w==", "0x" + new string('f', 64),
        "0b" + Convert.ToBase64String(new byte[48]), "255", "0x1a", "7", "0", "0b", "0x",
    ];

    [Test]
    public void BinaryAndNumberValues_AgreeWithReferenceDecoders()
    {
        var rng = new Random(20261207);
        var watch = Stopwatch.StartNew();
        int accepted = 0, refused = 0, i = 0;
        for (; i < Iterations && watch.Elapsed < Budget; i++)
        {
            var value = Mutate(ValueSeeds[rng.Next(ValueSeeds.Length)], rng);
            var max = rng.Next(4) == 0 ? 8 : 1024;
            byte[]? ours;
            try
            {
                ours = KeyValues.DecodeBinary(value, max);
                accepted++;
            }
            catch (IscsiProtocolException e) when (e.Reason == IscsiProtocolError.BadKeyValue)
            {
                ours = null;
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i}: DecodeBinary('{Escape(value)}') threw {e.GetType().Name}: {e.Message}");
                return;
            }
            var reference = ReferenceBinary(value, max);
            Assert.That(ours, Is.EqualTo(reference), $"iteration {i}: DecodeBinary('{Escape(value)}', {max})");
            int? number;
            try
            {
                number = KeyValues.ParseNumber(value, 255);
            }
            catch (IscsiProtocolException e) when (e.Reason == IscsiProtocolError.BadKeyValue)
            {
                number = null;
            }
            Assert.That(number, Is.EqualTo(ReferenceNumber(value, 255)), $"iteration {i}: ParseNumber('{Escape(value)}')");
        }
        TestContext.Out.WriteLine($"{i} values in {watch.Elapsed.TotalSeconds:0.0} s: {accepted} decoded, {refused} refused");
        Assert.That(i, Is.GreaterThanOrEqualTo(Iterations / 4), "the time budget cut the run too short to mean anything");
        Assert.That(accepted, Is.GreaterThan(i / 20), "mutations must not be all-garbage");
        Assert.That(refused, Is.GreaterThan(i / 20));
    }

    [Test]
    public void ChapExchange_MutatedAnswers_SucceedOnlyWhenRight_ElseRefusedWith0201()
    {
        using var dir = new TempDir("chap-fuzz");
        var path = dir.File("disk.raw");
        using (var f = File.Create(path))
        {
            f.SetLength(64 * 1024);
        }
        using var exports = new FileExportProvider(new RawDisk(FileSource.Open(path, false), ImageFormat.Raw, false), readOnly: true, ["disk"]);
        var secrets = new ChapSecrets("user", "initiator-secret", "target", "target-secret");
        var policy = new FixedChapPolicy(secrets);
        var rng = new Random(7143);
        var watch = Stopwatch.StartNew();
        int succeeded = 0, refused = 0, i = 0;
        for (; i < Iterations / 10 && watch.Elapsed < Budget; i++)
        {
            var session = new IscsiSession(exports, "10.0.0.9", "10.0.0.1:3260,1", 1, policy, Fixed);
            Send(session, 0x81, "InitiatorName=iqn.2026-12.fuzz:i", "TargetName=iqn.2026-11.dev.baremetal:disk", "AuthMethod=CHAP,None");
            Send(session, 0x81, "CHAP_A=5");
            var right = KeyValues.EncodeHex(ChapAuthenticator.Response(0x11, "initiator-secret", Enumerable.Repeat((byte)0x22, ChapAuthenticator.ChallengeLength).ToArray()));
            var keys = new List<(string Key, string Value)> { ("CHAP_N", "user"), ("CHAP_R", right), ("CHAP_I", "9"), ("CHAP_C", "0x" + new string('5', 32)) };
            var mutated = rng.Next(8) != 0;
            if (mutated)
            {
                keys = MutateKeys(keys, rng);
            }
            List<(byte[] Bhs, string Text)> replies;
            try
            {
                replies = Send(session, 0x81, keys.Select(k => $"{k.Key}={k.Value}").ToArray());
            }
            catch (Exception e)
            {
                Assert.Fail($"iteration {i}: session threw {e}\nkeys: {Escape(string.Join(" ", keys))}");
                return;
            }
            var status = BinaryPrimitives.ReadUInt16BigEndian(replies.Single().Bhs.AsSpan(36));
            var shouldPass = keys.Count(k => k.Key == "CHAP_N") == 1 && keys.Single(k => k.Key == "CHAP_N").Value == "user"
                && keys.Count(k => k.Key == "CHAP_R") == 1 && ReferenceBinary(keys.Single(k => k.Key == "CHAP_R").Value, 1024) is { } r && r.SequenceEqual(Convert.FromHexString(right[2..]))
                && keys.All(k => k.Key != "CHAP_A") // an unknown key (CHAP_X) is answered NotUnderstood and harms nothing
                && MutualOk(keys);
            if (status == LoginStatus.Success)
            {
                succeeded++;
                Assert.That(shouldPass, Is.True, $"iteration {i}: accepted {Escape(string.Join(" ", keys))}");
                Assert.That(session.Chap!.State, Is.EqualTo(ChapState.Succeeded));
            }
            else
            {
                refused++;
                Assert.That(status, Is.EqualTo(LoginStatus.AuthenticationFailed), $"iteration {i}");
                Assert.That(session.State, Is.EqualTo(IscsiSessionState.Closed));
                Assert.That(replies.Single().Text, Does.Not.Contain("CHAP_R"), $"iteration {i}: a refused initiator got our response");
                Assert.That(shouldPass, Is.False, $"iteration {i}: refused {Escape(string.Join(" ", keys))}: {session.LastProblem}");
            }
        }
        TestContext.Out.WriteLine($"{i} exchanges in {watch.Elapsed.TotalSeconds:0.0} s: {succeeded} succeeded, {refused} refused");
        Assert.That(succeeded, Is.Positive);
        Assert.That(refused, Is.Positive);
    }

    private static void Fixed(Span<byte> bytes)
    {
        bytes.Fill(0x22);
        bytes[0] = 0x11;
    }

    private static bool MutualOk(List<(string Key, string Value)> keys)
    {
        var ids = keys.Where(k => k.Key == "CHAP_I").ToList();
        var challenges = keys.Where(k => k.Key == "CHAP_C").ToList();
        if (ids.Count == 0 && challenges.Count == 0)
        {
            return true;
        }
        return ids.Count == 1 && challenges.Count == 1 && ReferenceNumber(ids[0].Value, 255) is not null
            && ReferenceBinary(challenges[0].Value, 1024) is { } c && !c.SequenceEqual(Enumerable.Repeat((byte)0x22, ChapAuthenticator.ChallengeLength));
    }

    private static List<(string Key, string Value)> MutateKeys(List<(string Key, string Value)> keys, Random rng)
    {
        var list = keys.ToList();
        switch (rng.Next(5))
        {
            case 0 when list.Count > 0:
                list.RemoveAt(rng.Next(list.Count));
                break;
            case 1 when list.Count > 0:
                list.Insert(rng.Next(list.Count + 1), list[rng.Next(list.Count)]);
                break;
            case 2:
                list.Add((rng.Next(2) == 0 ? "CHAP_A" : "CHAP_X", "5"));
                break;
            default:
                if (list.Count > 0)
                {
                    var n = rng.Next(list.Count);
                    // No NUL: it would end the pair, and a pair without '=' fails the login as an initiator error (0200) before CHAP.
                    list[n] = (list[n].Key, Mutate(list[n].Value, rng).Replace("\0", "", StringComparison.Ordinal));
                }
                break;
        }
        return list;
    }

    private static List<(byte[] Bhs, string Text)> Send(IscsiSession session, byte flags, params string[] keys)
    {
        var data = Encoding.UTF8.GetBytes(string.Concat(keys.Select(k => k + "\0")));
        var pdu = new byte[48 + ((data.Length + 3) & ~3)];
        pdu[0] = 0x43; // Login Request, immediate
        pdu[1] = flags;
        pdu[5] = (byte)(data.Length >> 16);
        pdu[6] = (byte)(data.Length >> 8);
        pdu[7] = (byte)data.Length;
        data.CopyTo(pdu, 48);
        var output = new ArrayBufferWriter<byte>();
        var seq = new ReadOnlySequence<byte>(pdu);
        while (IscsiCodec.TryRead(ref seq, session.MaxDataSegment, out var h, out var segment))
        {
            session.Handle(h, segment.ToArray(), output);
        }
        var replies = new List<(byte[], string)>();
        var bytes = output.WrittenSpan.ToArray();
        for (var pos = 0; pos < bytes.Length;)
        {
            var length = (bytes[pos + 5] << 16) | (bytes[pos + 6] << 8) | bytes[pos + 7];
            replies.Add((bytes[pos..(pos + 48)], Encoding.UTF8.GetString(bytes, pos + 48, length)));
            pos += 48 + ((length + 3) & ~3);
        }
        return replies;
    }

    /// <summary>RFC 7143 6.1 by the book, on .NET's own decoders: hex with an odd count padded with a leading 0; padded base64.</summary>
    private static byte[]? ReferenceBinary(string value, int max)
    {
        if (value.Length < 3 || value[0] != '0')
        {
            return null;
        }
        var body = value[2..];
        byte[] bytes;
        if (value[1] is 'x' or 'X')
        {
            if (!body.All(Uri.IsHexDigit))
            {
                return null;
            }
            bytes = Convert.FromHexString(body.Length % 2 == 1 ? "0" + body : body);
        }
        else if (value[1] is 'b' or 'B')
        {
            // .NET's decoder skips white space; a key value holds none.
            if (body.Any(c => c is ' ' or '\t' or '\r' or '\n') || body.Length % 4 != 0)
            {
                return null;
            }
            try
            {
                bytes = Convert.FromBase64String(body);
            }
            catch (FormatException)
            {
                return null;
            }
        }
        else
        {
            return null;
        }
        return bytes.Length == 0 || bytes.Length > max ? null : bytes;
    }

    private static int? ReferenceNumber(string value, int max)
    {
        var hex = value.StartsWith("0x", StringComparison.Ordinal) || value.StartsWith("0X", StringComparison.Ordinal);
        var digits = hex ? value[2..] : value;
        if (digits.Length is 0 or > 8 || !digits.All(c => hex ? Uri.IsHexDigit(c) : c is >= '0' and <= '9'))
        {
            return null;
        }
        var n = int.Parse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture);
        return n >= 0 && n <= max ? n : null;
    }

    private static string Mutate(string seed, Random rng)
    {
        var s = new StringBuilder(seed);
        var n = 1 + rng.Next(3);
        for (var k = 0; k < n; k++)
        {
            var c = Alphabet[rng.Next(Alphabet.Length)];
            switch (rng.Next(4))
            {
                case 0 when s.Length > 0:
                    s[rng.Next(s.Length)] = c;
                    break;
                case 1:
                    s.Insert(rng.Next(s.Length + 1), c);
                    break;
                case 2 when s.Length > 0:
                    s.Remove(rng.Next(s.Length), 1);
                    break;
                default:
                    s.Append(c, rng.Next(1, 3));
                    break;
            }
        }
        return s.ToString();
    }

    private static string Escape(string s) => string.Concat(s.Select(c => c < ' ' || c > '~' ? $"\\u{(int)c:x4}" : c.ToString()));
}

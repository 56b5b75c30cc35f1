using BareMetal.ImageStore.Iscsi.Policy;
using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Iscsi.Wire;

namespace BareMetal.ImageStore.Iscsi.Tests;

/// <summary>
/// CHAP in the login's security stage, through the pure session with a pinned random source: the
/// identifier is 0xa0 (160) and the challenge the 32 bytes a1..c0. Golden responses were computed with
/// coreutils, not with our code:
/// <c>{ printf '\xa0'; printf initiator-secret-1; printf '\xa1...\xc0'; } | md5sum</c> = f0ba7161...
/// and <c>{ printf '\x07'; printf target-secret-22; printf '\x01...\x10'; } | md5sum</c> = 2a19deac...
/// </summary>
public sealed class ChapLoginTests
{
    private const string Target = "iqn.2026-11.dev.baremetal:disk";
    private const string GoldenChallenge = "0xa1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
    private const string GoldenResponse = "0xf0ba7161cda59e12d50b154be336d158";
    private const string MutualChallenge = "0x0102030405060708090a0b0c0d0e0f10";
    private const string GoldenMutualResponse = "0x2a19deacfc2d5d7fe48cce897fd75d24";

    private static readonly ChapSecrets OneWay = new("init-user", "initiator-secret-1");
    private static readonly ChapSecrets WithMutual = new("init-user", "initiator-secret-1", "target-user", "target-secret-22");

    /// <summary>Security stage, T=1 towards the operational stage (as iPXE and libiscsi send it).</summary>
    private const byte SecurityTransit = 0x81;

    /// <summary>Operational stage, T=1 towards full feature.</summary>
    private const byte OperationalTransit = 0x87;

    private static void Counting(Span<byte> bytes)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(0xa0 + i);
        }
    }

    private static byte[] Login(byte flags, params string[] keys) =>
        Initiator.Pdu(IscsiOpcode.LoginRequest, flags, Initiator.Keys(keys), b =>
        {
            b[0] |= 0x40;
            Initiator.Word(b, 16, 1);
            Initiator.Word(b, 24, 1);
        });

    private static TargetReply Step(Initiator i, byte flags, params string[] keys) => i.Send(Login(flags, keys)).Single();

    private static Initiator Chap(TestExports t, ChapSecrets secrets) => t.NewInitiator(new FixedChapPolicy(secrets), Counting);

    /// <summary>AuthMethod and CHAP_A, up to the point where the initiator must answer our challenge.</summary>
    private static void Challenged(Initiator i)
    {
        var offer = Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "SessionType=Normal", "AuthMethod=CHAP,None");
        Assert.That(offer.StatusWord, Is.Zero, offer.Text);
        Assert.That(offer.Text, Does.Contain("AuthMethod=CHAP\0"));
        var algorithm = Step(i, SecurityTransit, "CHAP_A=5");
        Assert.That(algorithm.Text, Does.Contain($"CHAP_A=5\0CHAP_I=160\0CHAP_C={GoldenChallenge}\0"));
    }

    private static void AssertRefused(Initiator i, TargetReply reply, string problem)
    {
        Assert.Multiple(() =>
        {
            Assert.That(reply.StatusWord, Is.EqualTo(LoginStatus.AuthenticationFailed));
            Assert.That(reply.Text, Does.Not.Contain("CHAP_R"), "a refused initiator gets no response from us");
            Assert.That(i.Session.State, Is.EqualTo(IscsiSessionState.Closed));
            Assert.That(i.Session.LastProblem, Does.Contain(problem));
        });
    }

    [Test]
    public void OneWay_GoldenExchange_StaysInSecurityUntilTheResponse_ThenReachesFullFeature()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        var offer = Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "SessionType=Normal", "AuthMethod=CHAP,None");
        Assert.Multiple(() =>
        {
            Assert.That(offer.Text, Does.Contain("AuthMethod=CHAP\0"));
            Assert.That(offer.Flags & 0x80, Is.Zero, "T=0: no leaving the security stage before CHAP");
            Assert.That(i.Session.Chap!.State, Is.EqualTo(ChapState.AwaitingAlgorithm));
        });
        var algorithm = Step(i, SecurityTransit, "CHAP_A=5");
        Assert.Multiple(() =>
        {
            Assert.That(algorithm.Text, Is.EqualTo($"CHAP_A=5\0CHAP_I=160\0CHAP_C={GoldenChallenge}\0"));
            Assert.That(algorithm.Flags & 0x80, Is.Zero);
        });
        var response = Step(i, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={GoldenResponse}");
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusWord, Is.Zero);
            Assert.That(response.Flags, Is.EqualTo(0x81), "T=1, CSG=0, NSG=1");
            Assert.That(response.Text, Does.Not.Contain("CHAP_"), "one-way: the target does not answer with its own CHAP_N/CHAP_R");
            Assert.That(i.Session.Chap!.State, Is.EqualTo(ChapState.Succeeded));
            Assert.That(i.Session.Chap!.Mutual, Is.False);
        });
        var op = Step(i, OperationalTransit, "HeaderDigest=None", "DataDigest=None", "MaxRecvDataSegmentLength=65536");
        Assert.That(op.StatusWord, Is.Zero);
        Assert.That(i.Session.State, Is.EqualTo(IscsiSessionState.FullFeature));
    }

    [Test]
    public void OneWay_ResponseInBase64AndUpperCaseHex_IsAccepted()
    {
        using var t = new TestExports();
        var hex = Chap(t, OneWay);
        Challenged(hex);
        Assert.That(Step(hex, SecurityTransit, "CHAP_N=init-user", "CHAP_R=0X" + GoldenResponse[2..].ToUpperInvariant()).StatusWord, Is.Zero);
        var b64 = Chap(t, OneWay);
        Challenged(b64);
        var base64 = "0b" + Convert.ToBase64String(Convert.FromHexString(GoldenResponse[2..]));
        Assert.That(Step(b64, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={base64}").StatusWord, Is.Zero);
    }

    [Test]
    public void Mutual_TargetAnswersWithItsNameAndGoldenResponse()
    {
        using var t = new TestExports();
        var i = Chap(t, WithMutual);
        Challenged(i);
        var r = Step(i, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={GoldenResponse}", "CHAP_I=7", $"CHAP_C={MutualChallenge}");
        Assert.Multiple(() =>
        {
            Assert.That(r.StatusWord, Is.Zero);
            Assert.That(r.Text, Is.EqualTo($"CHAP_N=target-user\0CHAP_R={GoldenMutualResponse}\0"));
            Assert.That(r.Flags, Is.EqualTo(0x81));
            Assert.That(i.Session.Chap!.Mutual, Is.True);
        });
    }

    [Test]
    public void Mutual_ChallengeInBase64AndIdentifierInHex_GivesTheSameAnswer()
    {
        using var t = new TestExports();
        var i = Chap(t, WithMutual);
        Challenged(i);
        var base64 = "0b" + Convert.ToBase64String(Convert.FromHexString(MutualChallenge[2..]));
        var r = Step(i, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={GoldenResponse}", "CHAP_I=0x07", $"CHAP_C={base64}");
        Assert.That(r.Text, Does.Contain($"CHAP_R={GoldenMutualResponse}\0"));
    }

    [Test]
    public void Mutual_ReflectedChallenge_IsRefusedWithoutAnAnswer()
    {
        using var t = new TestExports();
        var i = Chap(t, WithMutual);
        Challenged(i);
        var r = Step(i, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={GoldenResponse}", "CHAP_I=160", $"CHAP_C={GoldenChallenge}");
        AssertRefused(i, r, "reflects our own challenge");
    }

    [Test]
    public void Mutual_WrongInitiatorResponse_GetsNoTargetResponse()
    {
        using var t = new TestExports();
        var i = Chap(t, WithMutual);
        Challenged(i);
        var r = Step(i, SecurityTransit, "CHAP_N=init-user", "CHAP_R=0x00000000000000000000000000000000", "CHAP_I=7", $"CHAP_C={MutualChallenge}");
        AssertRefused(i, r, "wrong CHAP response");
    }

    [Test]
    public void Mutual_AskedOfATargetWithoutMutualSecret_IsRefused()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        Challenged(i);
        var r = Step(i, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={GoldenResponse}", "CHAP_I=7", $"CHAP_C={MutualChallenge}");
        AssertRefused(i, r, "no mutual secret");
    }

    [TestCase("CHAP_I=256", "malformed mutual")]
    [TestCase("CHAP_I=-1", "malformed mutual")]
    [TestCase("CHAP_I=x", "malformed mutual")]
    public void Mutual_BadIdentifier_IsRefused(string id, string problem)
    {
        using var t = new TestExports();
        var i = Chap(t, WithMutual);
        Challenged(i);
        var r = Step(i, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={GoldenResponse}", id, $"CHAP_C={MutualChallenge}");
        AssertRefused(i, r, problem);
    }

    [Test]
    public void WrongSecret_IsRefusedWithAuthenticationFailure()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        Challenged(i);
        var wrong = KeyValues.EncodeHex(ChapAuthenticator.Response(0xa0, "not-the-secret", Convert.FromHexString(GoldenChallenge[2..])));
        var r = Step(i, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={wrong}");
        AssertRefused(i, r, "wrong CHAP response from user 'init-user'");
    }

    [Test]
    public void WrongName_IsRefused()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        Challenged(i);
        var r = Step(i, SecurityTransit, "CHAP_N=someone-else", $"CHAP_R={GoldenResponse}");
        AssertRefused(i, r, "unknown CHAP user 'someone-else'");
    }

    [TestCase("0xzz", "malformed CHAP_R")]
    [TestCase("0x", "malformed CHAP_R")]
    [TestCase("f0ba7161cda59e12d50b154be336d158", "malformed CHAP_R")]
    [TestCase("0b!!!!", "malformed CHAP_R")]
    [TestCase("0xf0ba7161cda59e12d50b154be336d1", "wrong CHAP response")]
    [TestCase("0xf0ba7161cda59e12d50b154be336d15800", "wrong CHAP response")]
    [TestCase("", "malformed CHAP_R")]
    public void MalformedOrWrongLengthResponse_IsRefused(string value, string problem)
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        Challenged(i);
        var r = Step(i, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={value}");
        AssertRefused(i, r, problem);
    }

    [Test]
    public void OversizedResponse_IsRefused()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        Challenged(i);
        var r = Step(i, SecurityTransit, "CHAP_N=init-user", "CHAP_R=0x" + new string('0', 2050));
        AssertRefused(i, r, "longer than 1024 bytes");
    }

    [TestCase(new[] { "CHAP_N=init-user" }, "no CHAP_R")]
    [TestCase(new[] { "CHAP_R=" + GoldenResponse }, "no CHAP_N")]
    [TestCase(new string[0], "no CHAP_N")]
    [TestCase(new[] { "CHAP_N=init-user", "CHAP_R=" + GoldenResponse, "CHAP_I=7" }, "CHAP_I without CHAP_C")]
    [TestCase(new[] { "CHAP_N=init-user", "CHAP_R=" + GoldenResponse, "CHAP_C=" + MutualChallenge }, "CHAP_C without CHAP_I")]
    [TestCase(new[] { "CHAP_N=init-user", "CHAP_R=" + GoldenResponse, "CHAP_R=" + GoldenResponse }, "CHAP_R sent twice")]
    [TestCase(new[] { "CHAP_A=5", "CHAP_N=init-user", "CHAP_R=" + GoldenResponse }, "CHAP_A in answer to our challenge")]
    public void MissingExtraOrRepeatedKeys_AfterTheChallenge_AreRefused(string[] keys, string problem)
    {
        using var t = new TestExports();
        var i = Chap(t, WithMutual);
        Challenged(i);
        AssertRefused(i, Step(i, SecurityTransit, keys), problem);
    }

    [Test]
    public void AuthMethodNoneOnly_ToAChapTarget_IsRefused()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        var r = Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "AuthMethod=None");
        AssertRefused(i, r, "offers only AuthMethod=None");
    }

    [Test]
    public void SkippingTheSecurityStage_ToAChapTarget_IsRefused()
    {
        // libiscsi without credentials starts in the operational stage.
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        var r = Step(i, OperationalTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "HeaderDigest=None");
        AssertRefused(i, r, "skipped security negotiation");
    }

    [Test]
    public void LeavingTheSecurityStageWithoutAuthMethod_IsRefused()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        var r = Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}");
        AssertRefused(i, r, "left security negotiation without it");
    }

    [Test]
    public void AlgorithmOtherThanMd5_IsRejectedAndRefused()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "AuthMethod=CHAP");
        var r = Step(i, SecurityTransit, "CHAP_A=7,6");
        AssertRefused(i, r, "no CHAP algorithm we support");
    }

    [Test]
    public void Authenticator_AlgorithmOtherThanMd5_AnswersReject()
    {
        var chap = new ChapAuthenticator(OneWay, Counting);
        Assert.That(chap.SelectMethod("CHAP"), Is.EqualTo("CHAP"));
        var answers = new List<KeyValuePair<string, string>>();
        chap.Answer([new("CHAP_A", "6")], answers);
        Assert.Multiple(() =>
        {
            Assert.That(answers, Is.EqualTo(new[] { new KeyValuePair<string, string>("CHAP_A", "Reject") }));
            Assert.That(chap.State, Is.EqualTo(ChapState.Failed));
            Assert.That(chap.SelectMethod("CHAP"), Is.EqualTo("Reject"), "a failed exchange stays failed");
        });
    }

    [Test]
    public void AlgorithmListWithMd5_ChoosesMd5()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "AuthMethod=None,CHAP");
        Assert.That(Step(i, SecurityTransit, "CHAP_A=7,6,5").Text, Does.StartWith("CHAP_A=5\0"));
    }

    [Test]
    public void ResponseBeforeTheChallenge_IsRefused()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "AuthMethod=CHAP");
        var r = Step(i, SecurityTransit, "CHAP_A=5", "CHAP_N=init-user", $"CHAP_R={GoldenResponse}");
        AssertRefused(i, r, "CHAP_N before our challenge");
    }

    [Test]
    public void ChapKeysBeforeAuthMethod_AreRefused()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        var r = Step(i, 0x01, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "CHAP_A=5");
        AssertRefused(i, r, "CHAP_A before AuthMethod=CHAP");
    }

    [Test]
    public void ARequestWithoutChapA_AfterAuthMethodChap_IsRefused()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "AuthMethod=CHAP");
        AssertRefused(i, Step(i, SecurityTransit), "no CHAP_A after AuthMethod=CHAP");
    }

    [Test]
    public void ChapAInTheSameRequestAsAuthMethod_IsAnsweredAtOnce()
    {
        using var t = new TestExports();
        var i = Chap(t, OneWay);
        var r = Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "AuthMethod=CHAP", "CHAP_A=5");
        Assert.That(r.Text, Does.Contain("AuthMethod=CHAP\0").And.Contain($"CHAP_C={GoldenChallenge}\0"));
        Assert.That(Step(i, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={GoldenResponse}").StatusWord, Is.Zero);
    }

    [Test]
    public void DefaultRandom_GivesEachLoginAFresh32ByteChallenge()
    {
        using var t = new TestExports();
        var challenges = new List<string>();
        for (var n = 0; n < 3; n++)
        {
            var i = t.NewInitiator(new FixedChapPolicy(OneWay));
            Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "AuthMethod=CHAP,None");
            var text = Step(i, SecurityTransit, "CHAP_A=5").Text;
            var c = text.Split('\0').Single(k => k.StartsWith("CHAP_C=", StringComparison.Ordinal))["CHAP_C=".Length..];
            Assert.That(KeyValues.DecodeBinary(c, 1024), Has.Length.EqualTo(ChapAuthenticator.ChallengeLength));
            challenges.Add(c);
        }
        Assert.That(challenges, Is.Unique);
    }

    [Test]
    public void Policy_IsAskedOnceWithTargetExportInitiatorAndAddress()
    {
        using var t = new TestExports();
        var policy = new RecordingAuthPolicy(null);
        var i = t.NewInitiator(policy, Counting);
        Assert.That(i.Login(target: "iqn.2026-11.dev.baremetal:disk")[^1].StatusWord, Is.Zero);
        Assert.That(policy.Requests, Is.EqualTo(new[] { new IscsiAuthRequest(Target, "disk", "iqn.2026-11.test:init", "127.0.0.1", false) }));
        Assert.That(i.Session.Chap, Is.Null);
    }

    [Test]
    public void Discovery_AsksThePolicyWithoutATargetName_AndRequiresChapWhenItSaysSo()
    {
        using var t = new TestExports();
        var policy = new RecordingAuthPolicy(OneWay);
        var i = t.NewInitiator(policy, Counting);
        var r = Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", "SessionType=Discovery", "AuthMethod=None");
        AssertRefused(i, r, "offers only AuthMethod=None");
        Assert.That(policy.Requests.Single(), Is.EqualTo(new IscsiAuthRequest(null, null, "iqn.2026-11.test:init", "127.0.0.1", true)));

        var ok = t.NewInitiator(policy, Counting);
        Step(ok, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", "SessionType=Discovery", "AuthMethod=CHAP,None");
        Step(ok, SecurityTransit, "CHAP_A=5");
        Assert.That(Step(ok, SecurityTransit, "CHAP_N=init-user", $"CHAP_R={GoldenResponse}").StatusWord, Is.Zero);
        Assert.That(Step(ok, OperationalTransit, "HeaderDigest=None").StatusWord, Is.Zero);
        Assert.That(ok.Session.State, Is.EqualTo(IscsiSessionState.FullFeature));
    }

    [Test]
    public void NoChapTarget_InitiatorOfferingChapAndNone_GetsNone()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        var r = Step(i, SecurityTransit, "InitiatorName=iqn.2026-11.test:init", $"TargetName={Target}", "AuthMethod=CHAP,None");
        Assert.That(r.Text, Does.Contain("AuthMethod=None\0"));
        Assert.That(r.Flags & 0x80, Is.EqualTo(0x80));
    }

    [Test]
    public void Secrets_ToStringHidesSecrets_AndSameSecretBothWaysIsRefused()
    {
        Assert.That(WithMutual.ToString(), Does.Contain("init-user").And.Contain("target-user").And.Not.Contain("secret-1").And.Not.Contain("secret-22"));
        Assert.That(() => new ChapSecrets("a", "same-secret-123", "b", "same-secret-123"), Throws.ArgumentException);
        Assert.That(() => new ChapSecrets("a", "s", "b", null), Throws.ArgumentException);
        Assert.That(() => new ChapSecrets("", "s"), Throws.ArgumentException);
        Assert.That(() => new ChapSecrets("a", new string('x', 256)), Throws.ArgumentException);
    }

    [Test]
    public void Response_MatchesRfc1994Md5OfIdentifierSecretChallenge() =>
        Assert.That(KeyValues.EncodeHex(ChapAuthenticator.Response(0xa0, "initiator-secret-1", Convert.FromHexString(GoldenChallenge[2..]))), Is.EqualTo(GoldenResponse));
}

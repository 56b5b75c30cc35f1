using System.Security.Cryptography;
using System.Text;
using BareMetal.ImageStore.Iscsi.Policy;
using BareMetal.ImageStore.Iscsi.Wire;

namespace BareMetal.ImageStore.Iscsi.Session;

/// <summary>
/// The target's side of CHAP in the security stage (RFC 7143 12.1.3, RFC 1994), MD5 only (CHAP_A=5, the
/// one algorithm every initiator has). Pure: keys in, keys out; the randomness of the identifier and the
/// challenge is injected so tests are exact.
/// <code>
/// I: AuthMethod=CHAP,None      T: AuthMethod=CHAP
/// I: CHAP_A=5                  T: CHAP_A=5 CHAP_I=id CHAP_C=0x(32 random bytes)
/// I: CHAP_N=user CHAP_R=0x(MD5(id || secret || challenge)) [CHAP_I=id2 CHAP_C=c2]
///                              T: [CHAP_N=mutual-user CHAP_R=0x(MD5(id2 || mutual-secret || c2))]
/// </code>
/// Any deviation fails the exchange (<see cref="Failure"/> says why, for the log: never a secret or a
/// response value). The initiator's response is checked in constant time, and the target answers a
/// mutual challenge only after the initiator has proved itself, so nobody can collect the target's
/// answers without the initiator's secret.
/// </summary>
public sealed class ChapAuthenticator
{
    /// <summary>Our challenge: 32 bytes (twice the digest; RFC 1994 wants at least the digest's 16).</summary>
    public const int ChallengeLength = 32;

    /// <summary>RFC 7143 12.1.3: CHAP_C and CHAP_R are at most 1024 bytes once decoded.</summary>
    public const int MaxBinaryLength = 1024;

    /// <summary>CHAP_A=5: MD5 (RFC 1994). The only algorithm we offer.</summary>
    public const string Md5 = "5";

    private const int DigestLength = 16;

    private readonly ChapSecrets _secrets;
    private readonly Action<Span<byte>> _random;
    private readonly byte[] _challenge = new byte[ChallengeLength];
    private byte _identifier;
    private bool _chosenInThisBatch;

    /// <param name="secrets">The credentials this target requires.</param>
    /// <param name="random">Fills the identifier and challenge: one call for 1 + <see cref="ChallengeLength"/> bytes. Defaults to the OS's CSPRNG.</param>
    public ChapAuthenticator(ChapSecrets secrets, Action<Span<byte>>? random = null)
    {
        _secrets = secrets ?? throw new ArgumentNullException(nameof(secrets));
        _random = random ?? RandomNumberGenerator.Fill;
    }

    public ChapState State { get; private set; } = ChapState.AwaitingMethod;

    /// <summary>Why the exchange failed, for the log (no secret, challenge or response in it).</summary>
    public string? Failure { get; private set; }

    /// <summary>The CHAP user this target requires (CHAP_N).</summary>
    public string User => _secrets.User;

    /// <summary>Whether the initiator authenticated the target too.</summary>
    public bool Mutual { get; private set; }

    /// <summary>Whether the key takes part in the exchange (the session hands these to <see cref="Answer"/>).</summary>
    public static bool IsChapKey(string key) => key is "CHAP_A" or "CHAP_I" or "CHAP_C" or "CHAP_N" or "CHAP_R";

    /// <summary>Answers the AuthMethod key: CHAP when the initiator lists it, else Reject (and the login fails).</summary>
    public string SelectMethod(string offered)
    {
        ArgumentNullException.ThrowIfNull(offered);
        if (State != ChapState.AwaitingMethod)
        {
            Fail(State == ChapState.Failed ? Failure! : "AuthMethod offered again during CHAP");
            return "Reject";
        }
        if (!offered.Split(',').Contains("CHAP", StringComparer.Ordinal))
        {
            Fail($"this target requires CHAP; the initiator offers only AuthMethod={KeyValues.Shorten(offered)}");
            return "Reject";
        }
        State = ChapState.AwaitingAlgorithm;
        _chosenInThisBatch = true;
        return "CHAP";
    }

    /// <summary>
    /// Takes the CHAP keys of one login request (in order, possibly none) and appends ours to
    /// <paramref name="answers"/>. Call it once per request while the security stage lasts.
    /// </summary>
    public void Answer(IReadOnlyList<KeyValuePair<string, string>> keys, List<KeyValuePair<string, string>> answers)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(answers);
        var chosenNow = _chosenInThisBatch;
        _chosenInThisBatch = false;
        if (State == ChapState.Failed)
        {
            return;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, _) in keys)
        {
            if (!seen.Add(key))
            {
                Fail($"{key} sent twice");
                return;
            }
        }
        switch (State)
        {
            case ChapState.AwaitingMethod:
                if (keys.Count > 0)
                {
                    Fail($"{keys[0].Key} before AuthMethod=CHAP was agreed");
                }
                return;
            case ChapState.AwaitingAlgorithm:
                Algorithm(keys, chosenNow, answers);
                return;
            case ChapState.AwaitingResponse:
                Response(keys, answers);
                return;
            default:
                if (keys.Count > 0)
                {
                    Fail($"{keys[0].Key} after CHAP had finished");
                }
                return;
        }
    }

    /// <summary>The CHAP response to a challenge: MD5(identifier || secret || challenge) (RFC 1994 4.1).</summary>
    public static byte[] Response(byte identifier, string secret, ReadOnlySpan<byte> challenge)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var secretBytes = Encoding.UTF8.GetBytes(secret);
        var message = new byte[1 + secretBytes.Length + challenge.Length];
        message[0] = identifier;
        secretBytes.CopyTo(message, 1);
        challenge.CopyTo(message.AsSpan(1 + secretBytes.Length));
        var digest = MD5.HashData(message);
        CryptographicOperations.ZeroMemory(secretBytes);
        CryptographicOperations.ZeroMemory(message);
        return digest;
    }

    private void Algorithm(IReadOnlyList<KeyValuePair<string, string>> keys, bool chosenNow, List<KeyValuePair<string, string>> answers)
    {
        if (keys.Count == 0)
        {
            // CHAP_A normally comes in the next request, after our AuthMethod=CHAP; a request in between
            // with no CHAP_A at all is an initiator that will never send it.
            if (!chosenNow)
            {
                Fail("no CHAP_A after AuthMethod=CHAP");
            }
            return;
        }
        if (keys.Count != 1 || keys[0].Key != "CHAP_A")
        {
            Fail($"{keys.First(k => k.Key != "CHAP_A").Key} before our challenge");
            return;
        }
        var offered = keys[0].Value;
        if (!offered.Split(',').Contains(Md5, StringComparer.Ordinal))
        {
            answers.Add(new("CHAP_A", "Reject"));
            Fail($"no CHAP algorithm we support (CHAP_A={KeyValues.Shorten(offered)}; we take 5, MD5)");
            return;
        }
        Span<byte> fresh = stackalloc byte[1 + ChallengeLength];
        _random(fresh);
        _identifier = fresh[0];
        fresh[1..].CopyTo(_challenge);
        answers.Add(new("CHAP_A", Md5));
        answers.Add(new("CHAP_I", _identifier.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        answers.Add(new("CHAP_C", KeyValues.EncodeHex(_challenge)));
        State = ChapState.AwaitingResponse;
    }

    private void Response(IReadOnlyList<KeyValuePair<string, string>> keys, List<KeyValuePair<string, string>> answers)
    {
        string? name = null, response = null, mutualId = null, mutualChallenge = null;
        foreach (var (key, value) in keys)
        {
            switch (key)
            {
                case "CHAP_N":
                    name = value;
                    break;
                case "CHAP_R":
                    response = value;
                    break;
                case "CHAP_I":
                    mutualId = value;
                    break;
                case "CHAP_C":
                    mutualChallenge = value;
                    break;
                default:
                    Fail($"{key} in answer to our challenge");
                    return;
            }
        }
        if (name is null || response is null)
        {
            Fail(name is null ? "no CHAP_N in answer to our challenge" : "no CHAP_R in answer to our challenge");
            return;
        }
        if ((mutualId is null) != (mutualChallenge is null))
        {
            Fail(mutualId is null ? "CHAP_C without CHAP_I" : "CHAP_I without CHAP_C");
            return;
        }
        byte[] received;
        try
        {
            received = KeyValues.DecodeBinary(response, MaxBinaryLength);
        }
        catch (IscsiProtocolException e)
        {
            Fail($"malformed CHAP_R ({e.Message.Split(':')[0]})");
            return;
        }
        var expected = Response(_identifier, _secrets.Secret, _challenge);
        var responseOk = received.Length == DigestLength && CryptographicOperations.FixedTimeEquals(received, expected);
        CryptographicOperations.ZeroMemory(expected);
        if (!string.Equals(name, _secrets.User, StringComparison.Ordinal))
        {
            Fail($"unknown CHAP user '{KeyValues.Shorten(name)}'");
            return;
        }
        if (!responseOk)
        {
            Fail($"wrong CHAP response from user '{KeyValues.Shorten(name)}' (wrong secret)");
            return;
        }
        if (mutualId is not null)
        {
            if (!AnswerMutual(mutualId, mutualChallenge!, answers))
            {
                return;
            }
        }
        CryptographicOperations.ZeroMemory(_challenge);
        State = ChapState.Succeeded;
    }

    private bool AnswerMutual(string id, string challengeText, List<KeyValuePair<string, string>> answers)
    {
        if (_secrets.MutualUser is not { } user || _secrets.MutualSecret is not { } secret)
        {
            Fail("the initiator asks for mutual CHAP but this target has no mutual secret");
            return false;
        }
        byte identifier;
        byte[] challenge;
        try
        {
            identifier = (byte)KeyValues.ParseNumber(id, 255);
            challenge = KeyValues.DecodeBinary(challengeText, MaxBinaryLength);
        }
        catch (IscsiProtocolException e)
        {
            Fail($"malformed mutual CHAP_I or CHAP_C ({e.Message.Split(':')[0]})");
            return false;
        }
        // RFC 7143 12.1.3: a challenge equal to ours is a reflection attack (the initiator would get us
        // to compute the answer to our own challenge).
        if (challenge.Length == _challenge.Length && CryptographicOperations.FixedTimeEquals(challenge, _challenge))
        {
            Fail("the initiator's CHAP_C reflects our own challenge");
            return false;
        }
        answers.Add(new("CHAP_N", user));
        answers.Add(new("CHAP_R", KeyValues.EncodeHex(Response(identifier, secret, challenge))));
        Mutual = true;
        return true;
    }

    private void Fail(string why)
    {
        State = ChapState.Failed;
        Failure ??= why;
    }
}

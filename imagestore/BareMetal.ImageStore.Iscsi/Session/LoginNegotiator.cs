using System.Globalization;

namespace BareMetal.ImageStore.Iscsi.Session;

/// <summary>
/// Answers login/text keys (RFC 7143 6.2, 13): for each key the initiator offers, the value we agree to,
/// and the resulting session parameters. Pure. Declarative keys (InitiatorName, TargetName, ...) are
/// recorded and not answered; unknown keys get NotUnderstood.
/// </summary>
public sealed class LoginNegotiator
{
    public SessionParameters Parameters { get; } = new();

    public string? InitiatorName { get; private set; }

    public string? TargetName { get; private set; }

    public string SessionType { get; private set; } = "Normal";

    /// <summary>Whether the initiator accepted AuthMethod=None (false after it offered only methods we lack).</summary>
    public bool AuthRejected { get; private set; }

    /// <summary>
    /// The CHAP exchange when this login must authenticate (set by the session from its auth policy before
    /// the first batch); null: AuthMethod=None is the only method we take.
    /// </summary>
    public ChapAuthenticator? Chap { get; set; }

    /// <summary>A key whose value is out of range or malformed (login fails with initiator error).</summary>
    public string? Invalid { get; private set; }

    /// <summary>Answers one batch of keys; returns the pairs to send back.</summary>
    public List<KeyValuePair<string, string>> Answer(IEnumerable<KeyValuePair<string, string>> offered)
    {
        var answers = new List<KeyValuePair<string, string>>();
        var chapKeys = new List<KeyValuePair<string, string>>();
        foreach (var (key, value) in offered)
        {
            string? answer = key switch
            {
                "InitiatorName" => Record(() => InitiatorName = value),
                "TargetName" => Record(() => TargetName = value),
                "SessionType" => SessionTypeKey(value),
                "InitiatorAlias" or "TargetAlias" or "TargetAddress" or "TargetPortalGroupTag" => null,
                "AuthMethod" => Chap is null ? AuthMethod(value) : Chap.SelectMethod(value),
                _ when Chap is not null && ChapAuthenticator.IsChapKey(key) => Collect(chapKeys, key, value),
                "HeaderDigest" or "DataDigest" => Digest(value),
                "InitialR2T" => Bool(value, v => Parameters.InitialR2T = v, or: true),
                "ImmediateData" => Bool(value, v => Parameters.ImmediateData = v, or: false),
                "DataPDUInOrder" or "DataSequenceInOrder" => Bool(value, _ => { }, or: true, ours: true),
                "IFMarker" or "OFMarker" => Bool(value, _ => { }, or: false, ours: false),
                "OFMarkInt" or "IFMarkInt" => "Irrelevant",
                "MaxRecvDataSegmentLength" => Number(key, value, 512, 16777215, v => Parameters.InitiatorMaxRecvDataSegmentLength = v, declarative: true),
                "MaxBurstLength" => Number(key, value, 512, 16777215, v => Parameters.MaxBurstLength = Math.Min(v, Wire.IscsiLimits.OurMaxBurstLength)),
                "FirstBurstLength" => Number(key, value, 512, 16777215, v => Parameters.FirstBurstLength = Math.Min(v, Wire.IscsiLimits.OurFirstBurstLength)),
                "MaxOutstandingR2T" => Number(key, value, 1, 65535, _ => { }, fixedAnswer: "1"),
                "MaxConnections" => Number(key, value, 1, 65535, _ => { }, fixedAnswer: "1"),
                "ErrorRecoveryLevel" => Number(key, value, 0, 2, _ => { }, fixedAnswer: "0"),
                "DefaultTime2Wait" => Number(key, value, 0, 3600, _ => { }, fixedAnswer: "2", maxFunction: true),
                "DefaultTime2Retain" => Number(key, value, 0, 3600, _ => { }, fixedAnswer: "0"),
                _ => "NotUnderstood",
            };
            if (answer is not null)
            {
                answers.Add(new(key, answer));
            }
        }
        Chap?.Answer(chapKeys, answers);
        if (Parameters.FirstBurstLength > Parameters.MaxBurstLength)
        {
            Parameters.FirstBurstLength = Parameters.MaxBurstLength;
        }
        return answers;
    }

    private static string? Collect(List<KeyValuePair<string, string>> keys, string key, string value)
    {
        keys.Add(new(key, value));
        return null;
    }

    private static string? Record(Action set)
    {
        set();
        return null;
    }

    private string? SessionTypeKey(string value)
    {
        if (value is "Normal" or "Discovery")
        {
            SessionType = value;
            return null;
        }
        Invalid = $"SessionType={value}";
        return "Reject";
    }

    private string AuthMethod(string value)
    {
        if (value.Split(',').Contains("None", StringComparer.Ordinal))
        {
            return "None";
        }
        AuthRejected = true;
        return "Reject";
    }

    private static string Digest(string value) =>
        value.Split(',').Contains("None", StringComparer.Ordinal) ? "None" : "Reject";

    private string Bool(string value, Action<bool> set, bool or, bool? ours = null)
    {
        bool offered;
        if (value == "Yes")
        {
            offered = true;
        }
        else if (value == "No")
        {
            offered = false;
        }
        else
        {
            Invalid = $"boolean key with value '{value}'";
            return "Reject";
        }
        // OR keys: Yes wins; AND keys: No wins. Our own preference, when we have one, takes part.
        var mine = ours ?? offered;
        var result = or ? offered || mine : offered && mine;
        set(result);
        return result ? "Yes" : "No";
    }

    private string Number(string key, string value, int lo, int hi, Action<int> set, bool declarative = false, string? fixedAnswer = null, bool maxFunction = false)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < lo || v > hi)
        {
            Invalid = $"{key}={value}";
            return "Reject";
        }
        set(v);
        if (declarative)
        {
            // We declare our own MaxRecvDataSegmentLength in reply.
            return Wire.IscsiLimits.MaxRecvDataSegmentLength.ToString(CultureInfo.InvariantCulture);
        }
        if (fixedAnswer is not null)
        {
            var ours = int.Parse(fixedAnswer, CultureInfo.InvariantCulture);
            // min-function keys: the smaller value; max-function (DefaultTime2Wait): the larger.
            return (maxFunction ? Math.Max(v, ours) : Math.Min(v, ours)).ToString(CultureInfo.InvariantCulture);
        }
        return key switch
        {
            "MaxBurstLength" => Parameters.MaxBurstLength.ToString(CultureInfo.InvariantCulture),
            "FirstBurstLength" => Parameters.FirstBurstLength.ToString(CultureInfo.InvariantCulture),
            _ => v.ToString(CultureInfo.InvariantCulture),
        };
    }
}

using System.Text;

namespace BareMetal.ImageStore.Iscsi.Policy;

/// <summary>
/// CHAP credentials of one target. <see cref="User"/>/<see cref="Secret"/> are what the initiator must
/// prove it knows (iPXE's <c>username</c>/<c>password</c>, libiscsi's <c>user%secret@</c>). The mutual
/// pair is what the target answers with when the initiator challenges it back (iPXE's
/// <c>reverse-username</c>/<c>reverse-password</c>, libiscsi's <c>target_user</c>/<c>target_password</c>);
/// without it an initiator that asks for mutual CHAP is refused. <see cref="ToString"/> never shows a secret.
/// </summary>
public sealed record ChapSecrets
{
    /// <summary>Longest name or secret we take, in UTF-8 bytes: far above any real one, far below a text key's 8192.</summary>
    public const int MaxLength = 255;

    public ChapSecrets(string user, string secret, string? mutualUser = null, string? mutualSecret = null)
    {
        Check(user, nameof(user));
        Check(secret, nameof(secret));
        if ((mutualUser is null) != (mutualSecret is null))
        {
            throw new ArgumentException("mutual CHAP needs both a user and a secret", mutualUser is null ? nameof(mutualUser) : nameof(mutualSecret));
        }
        if (mutualUser is not null)
        {
            Check(mutualUser, nameof(mutualUser));
            Check(mutualSecret!, nameof(mutualSecret));
            // RFC 7143 12.1.3: a secret used to authenticate initiators must not authenticate targets,
            // or an attacker could reflect the target's own challenge back and replay its answer.
            if (mutualSecret == secret)
            {
                throw new ArgumentException("the mutual (target) secret must differ from the initiator's secret", nameof(mutualSecret));
            }
        }
        User = user;
        Secret = secret;
        MutualUser = mutualUser;
        MutualSecret = mutualSecret;
    }

    /// <summary>The CHAP_N the initiator must send.</summary>
    public string User { get; }

    /// <summary>The secret the initiator's CHAP_R is computed with.</summary>
    public string Secret { get; }

    /// <summary>The CHAP_N the target sends in mutual CHAP, or null when the target cannot be challenged.</summary>
    public string? MutualUser { get; }

    /// <summary>The secret the target's CHAP_R is computed with in mutual CHAP.</summary>
    public string? MutualSecret { get; }

    /// <summary>Whether an initiator may ask the target to authenticate itself.</summary>
    public bool HasMutual => MutualUser is not null;

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("User = ").Append(User).Append(", Secret = ***");
        if (MutualUser is not null)
        {
            builder.Append(", MutualUser = ").Append(MutualUser).Append(", MutualSecret = ***");
        }
        return true;
    }

    private static void Check(string value, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, name);
        if (Encoding.UTF8.GetByteCount(value) > MaxLength)
        {
            throw new ArgumentException($"longer than {MaxLength} bytes", name);
        }
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("contains a NUL (text keys end at NUL)", name);
        }
    }
}

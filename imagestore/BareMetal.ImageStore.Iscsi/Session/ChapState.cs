namespace BareMetal.ImageStore.Iscsi.Session;

/// <summary>Where a target-side CHAP exchange stands (RFC 7143 12.1.3).</summary>
public enum ChapState
{
    /// <summary>Waiting for the initiator's AuthMethod list.</summary>
    AwaitingMethod,

    /// <summary>We answered AuthMethod=CHAP; the initiator's CHAP_A comes next.</summary>
    AwaitingAlgorithm,

    /// <summary>We sent CHAP_A, CHAP_I and CHAP_C; the initiator's CHAP_N and CHAP_R come next.</summary>
    AwaitingResponse,

    /// <summary>The initiator proved it knows the secret (and, in mutual CHAP, got our answer).</summary>
    Succeeded,

    /// <summary>Authentication failed; the login ends with status 0201.</summary>
    Failed,
}

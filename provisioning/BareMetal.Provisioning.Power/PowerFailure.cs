namespace BareMetal.Provisioning.Power;

/// <summary>Why a power call failed; the orchestrator retries only <see cref="Unreachable"/> and <see cref="Busy"/>.</summary>
public enum PowerFailure
{
    /// <summary>Wrong user name or password (or key): retrying cannot help.</summary>
    AuthenticationFailed = 1,

    /// <summary>No answer within the retries, connection refused, or the BMC went away mid-session.</summary>
    Unreachable = 2,

    /// <summary>The BMC answered that it cannot take the request now (IPMI node busy, HTTP 503/429).</summary>
    Busy = 3,

    /// <summary>The BMC does not offer this action (IPMI invalid command/data, Redfish reset type not allowed).</summary>
    Unsupported = 4,

    /// <summary>The BMC answered with bytes or JSON that do not follow the protocol.</summary>
    ProtocolError = 5,

    /// <summary>The BMC's TLS certificate is neither trusted by the system nor the pinned one.</summary>
    CertificateRejected = 6,

    /// <summary>The user is known but lacks the privilege for this action.</summary>
    PermissionDenied = 7,

    /// <summary>The BMC refused the request for another reason, in its own words.</summary>
    Rejected = 8,

    /// <summary>The call did not finish within the orchestrator's per-call timeout.</summary>
    Timeout = 9,
}

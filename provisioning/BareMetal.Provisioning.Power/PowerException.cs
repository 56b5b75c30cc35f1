namespace BareMetal.Provisioning.Power;

/// <summary>
/// A failed power call. The message carries the BMC's own words (an IPMI completion code's spec name,
/// a Redfish @Message.ExtendedInfo message) and never a password, session key or auth code.
/// </summary>
public sealed class PowerException : Exception
{
    public PowerException()
    {
    }

    public PowerException(string message)
        : base(message)
    {
    }

    public PowerException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public PowerException(PowerFailure failure, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Failure = failure;
    }

    public PowerFailure Failure { get; }

    /// <summary>True when trying again later may succeed (the orchestrator backs off and retries these).</summary>
    public bool IsTransient => Failure is PowerFailure.Unreachable or PowerFailure.Busy;
}

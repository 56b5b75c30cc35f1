namespace BareMetal.Provisioning.Power.Ipmi.Session;

/// <summary>What the shell must do after the session handled a datagram or a timer.</summary>
public enum IpmiStepKind
{
    /// <summary>Nothing: a stray, duplicate or forged datagram was dropped; keep waiting.</summary>
    Ignore,

    /// <summary>Send <see cref="IpmiStep.Datagram"/> and keep waiting.</summary>
    Send,

    /// <summary>The session is established; commands may be sent.</summary>
    Ready,

    /// <summary>The answer to the command in flight is in <see cref="IpmiStep.Response"/>.</summary>
    Response,

    /// <summary>The session is closed (or given up on while closing).</summary>
    Closed,

    /// <summary>The session failed; <see cref="IpmiStep.Error"/> says why.</summary>
    Failed,
}

namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>What the state machine makes of one event.</summary>
public enum TransitionAction
{
    /// <summary>Same state; progress counters may change.</summary>
    Stay = 0,

    /// <summary>Move the current deployment to <see cref="TransitionDecision.To"/>.</summary>
    Move = 1,

    /// <summary>End the current deployment (if any) and start a new one in <see cref="TransitionDecision.To"/>.</summary>
    Start = 2,

    /// <summary>Network noise out of order (a late TFTP packet, an OS DHCP renew): recorded nowhere, no error.</summary>
    Ignore = 3,

    /// <summary>A claimed state that cannot follow the current one: refused with <see cref="InvalidTransitionException"/>.</summary>
    Reject = 4,
}

/// <summary>The state machine's answer.</summary>
public readonly record struct TransitionDecision(TransitionAction Action, DeploymentState? To = null);

namespace BareMetal.Provisioning.Power.Orchestration;

/// <summary>What became of one action on one node: done (with the state or an operator instruction) or failed with the BMC's words.</summary>
public sealed record PowerOutcome(string Node, PowerAction Action, bool Succeeded, PowerState? State, string? OperatorInstruction, PowerFailure? Failure, string? Error, int Attempts)
{
    public static PowerOutcome Done(string node, PowerAction action, PowerState? state, string? instruction, int attempts) =>
        new(node, action, true, state, instruction, null, null, attempts);

    public static PowerOutcome Failed(string node, PowerAction action, PowerException e, int attempts) =>
        new(node, action, false, null, null, e.Failure, e.Message, attempts);
}

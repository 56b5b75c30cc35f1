namespace BareMetal.Provisioning.Power;

/// <summary>
/// What became of an action: done by the BMC, or (manual driver) an instruction a person must carry
/// out; the server shows it and waits instead of pretending the machine obeyed.
/// </summary>
public sealed record PowerActionResult(bool Performed, string? OperatorInstruction)
{
    public static PowerActionResult Done { get; } = new(true, null);

    public static PowerActionResult Instruct(string instruction) => new(false, instruction);
}

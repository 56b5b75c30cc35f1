namespace BareMetal.MediatorModel.Simulation.Scenarios;

/// <summary>A scenario file that cannot be used: bad YAML, unknown key, value out of range.
/// The message names the offending key and value.</summary>
public sealed class ScenarioException : Exception
{
    public ScenarioException(string message)
        : base(message)
    {
    }

    public ScenarioException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public ScenarioException()
    {
    }
}

namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>Guest or mediator programmed the HBA in a way the model refuses (bad FIS, PRD table too
/// long, buffer outside memory).</summary>
public sealed class AhciProtocolException : Exception
{
    public AhciProtocolException(string message)
        : base(message)
    {
    }

    public AhciProtocolException()
    {
    }

    public AhciProtocolException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

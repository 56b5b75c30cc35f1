namespace BareMetal.MediatorModel.Simulation.Real;

/// <summary>The NBD server or the local disk file failed during a real-network run.</summary>
public sealed class RealNetworkException : Exception
{
    public RealNetworkException()
    {
    }

    public RealNetworkException(string message)
        : base(message)
    {
    }

    public RealNetworkException(string message, Exception inner)
        : base(message, inner)
    {
    }
}

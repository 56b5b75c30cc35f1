namespace BareMetal.MediatorModel.Simulation.Strategies;

/// <summary>A labelled stretch of a node's start-up (one segment of a start-up bar), seconds.</summary>
public readonly record struct Phase(string Label, double StartSeconds, double EndSeconds)
{
    public double Seconds => EndSeconds - StartSeconds;
}

namespace BareMetal.MediatorModel.Spec.Runtime;

/// <summary>What a mediator does with a command depends only on its kind (redirect reads, track writes ...).</summary>
public enum CommandKind
{
    Read,
    Write,
    Flush,
    Identify,
    Other,
}

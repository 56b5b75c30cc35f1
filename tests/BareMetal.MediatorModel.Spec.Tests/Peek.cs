using BareMetal.MediatorModel.Spec.Runtime;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>Reads the generated side-effect-free accessors (Peek_*, Var_*) of a mediator compiled at test time.</summary>
internal static class Peek
{
    public static ulong Get(IGeneratedMediator m, string name, int? instance = null)
    {
        var type = m.GetType();
        if (instance is { } i)
        {
            var method = type.GetMethod(name) ?? throw new MissingMethodException(type.Name, name);
            return (ulong)method.Invoke(m, [i])!;
        }
        var prop = type.GetProperty(name) ?? throw new MissingMemberException(type.Name, name);
        return (ulong)prop.GetValue(m)!;
    }
}

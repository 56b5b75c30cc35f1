namespace BareMetal.MediatorModel.Spec;

/// <summary>What one spec compiles to: the mediator class, the register reference and the two state diagrams.</summary>
public sealed record GeneratedOutputs(string ClassName, string CSharp, string Markdown, string Dot, string Mermaid);

using System.Text;
using BareMetal.MediatorModel.Spec.Binding;

namespace BareMetal.MediatorModel.Spec.Emit;

/// <summary>Pass 4b: the state machines as Graphviz DOT and as a Mermaid state diagram.</summary>
public static class DiagramEmitter
{
    public static string Label(TransitionSymbol t)
    {
        var sb = new StringBuilder();
        sb.Append(t.Trigger.ToString().ToLowerInvariant()).Append(' ').Append(t.Register?.Name ?? t.Doorbell!.Name);
        if (t.Decl.Guard is { } g)
        {
            sb.Append(" [").Append(ExprPrinter.Print(g)).Append(']');
        }
        if (t.Decl.Actions.Count > 0)
        {
            sb.Append(" / ").Append(t.Decl.Actions.Count).Append(t.Decl.Actions.Count == 1 ? " action" : " actions");
        }
        return sb.ToString();
    }

    private static string Dot(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    public static string EmitDot(BoundSpec spec)
    {
        var sb = new StringBuilder();
        sb.Append("digraph ").Append(Dot(spec.Name)).Append(" {\n");
        sb.Append("    rankdir=LR;\n");
        sb.Append("    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
        sb.Append("    edge [fontname=\"Helvetica\", fontsize=10];\n");
        foreach (var m in spec.Machines)
        {
            var title = m.Per is null ? m.Name : $"{m.Name} (per {m.Per.Name})";
            sb.Append("    subgraph ").Append(Dot("cluster_" + m.Name)).Append(" {\n");
            sb.Append("        label=").Append(Dot(title)).Append(";\n");
            sb.Append("        ").Append(Dot(m.Name + ".start")).Append(" [shape=point, label=\"\"];\n");
            foreach (var s in m.States)
            {
                sb.Append("        ").Append(Dot(m.Name + "." + s.Name)).Append(" [label=").Append(Dot(s.Name)).Append("];\n");
            }
            sb.Append("        ").Append(Dot(m.Name + ".start")).Append(" -> ").Append(Dot(m.Name + "." + m.States[m.Initial].Name)).Append(";\n");
            foreach (var t in m.Transitions)
            {
                var sources = t.From < 0 ? m.States.Select(s => s.Name).ToList() : [m.States[t.From].Name];
                foreach (var from in sources)
                {
                    sb.Append("        ").Append(Dot(m.Name + "." + from)).Append(" -> ").Append(Dot(m.Name + "." + m.States[t.To].Name))
                        .Append(" [label=").Append(Dot(Label(t))).Append("];\n");
                }
            }
            sb.Append("    }\n");
        }
        sb.Append("}\n");
        return sb.ToString();
    }

    /// <summary>Mermaid cuts a label at ';' and treats '#' and ':' specially, so they are replaced.</summary>
    private static string Mermaid(string s) =>
        s.Replace(";", ",", StringComparison.Ordinal).Replace("#", "", StringComparison.Ordinal).Replace(":", " ", StringComparison.Ordinal);

    public static string EmitMermaid(BoundSpec spec)
    {
        var sb = new StringBuilder();
        sb.Append("stateDiagram-v2\n");
        foreach (var m in spec.Machines)
        {
            var title = m.Per is null ? m.Name : $"{m.Name} (per {m.Per.Name})";
            sb.Append("    state \"").Append(Mermaid(title)).Append("\" as ").Append(m.Name).Append(" {\n");
            foreach (var s in m.States)
            {
                sb.Append("        state \"").Append(s.Name).Append("\" as ").Append(m.Name).Append('_').Append(s.Name).Append('\n');
            }
            sb.Append("        [*] --> ").Append(m.Name).Append('_').Append(m.States[m.Initial].Name).Append('\n');
            foreach (var t in m.Transitions)
            {
                var sources = t.From < 0 ? m.States.Select(s => s.Name).ToList() : [m.States[t.From].Name];
                foreach (var from in sources)
                {
                    sb.Append("        ").Append(m.Name).Append('_').Append(from).Append(" --> ").Append(m.Name).Append('_').Append(m.States[t.To].Name)
                        .Append(" : ").Append(Mermaid(Label(t))).Append('\n');
                }
            }
            sb.Append("    }\n");
        }
        return sb.ToString();
    }
}

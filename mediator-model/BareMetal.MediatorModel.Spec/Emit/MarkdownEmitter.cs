using System.Text;
using BareMetal.MediatorModel.Spec.Ast;
using BareMetal.MediatorModel.Spec.Binding;
using static BareMetal.MediatorModel.Spec.Emit.Names;

namespace BareMetal.MediatorModel.Spec.Emit;

/// <summary>Pass 4c: a Markdown register reference (registers, fields, structures, commands, machines, mediation).</summary>
public static class MarkdownEmitter
{
    private static string Cell(string? s) => (s ?? "").Replace("|", "\\|", StringComparison.Ordinal);

    private static string AccessName(Access a) => a.ToString().ToLowerInvariant();

    private static string Bits(int hi, int lo) => hi == lo ? $"{hi}" : $"{hi}:{lo}";

    public static string Emit(BoundSpec spec, string sourceName)
    {
        var sb = new StringBuilder();
        void L(string s = "") => sb.Append(s).Append('\n');
        L($"# {spec.Name}: device interface reference");
        L();
        if (spec.Device.Doc is { } doc)
        {
            L(doc);
            L();
        }
        L($"Generated from `{sourceName}` by `baremetal spec compile`. Access kinds: rw read/write, ro read-only,");
        L("wo write-only (reads 0), w1c write 1 to clear, w1s write 1 to set, rc clear on read.");
        L();
        L("## Registers");
        L();
        L("| Offset | Register | Bits | Access | Reset | Description |");
        L("| --- | --- | --- | --- | --- | --- |");
        foreach (var r in spec.Registers.Where(r => r.Array is null))
        {
            L($"| {Hex((ulong)r.Offset)} | [{r.Name}](#{r.Name.ToLowerInvariant()}) | {r.WidthBits} | {AccessName(r.Access)} | {Hex(r.Reset)} | {Cell(r.Decl.Doc)} |");
        }
        foreach (var a in spec.Arrays)
        {
            L();
            L($"### Array {a.Name}: {a.Count} x at {Hex((ulong)a.Base)} + n * {Hex((ulong)a.Stride)}");
            L();
            if (a.Decl.Doc is { } adoc)
            {
                L(adoc);
                L();
            }
            L("| Offset | Register | Bits | Access | Reset | Description |");
            L("| --- | --- | --- | --- | --- | --- |");
            foreach (var r in a.Registers)
            {
                L($"| {Hex((ulong)(a.Base + r.Offset))} + n * {Hex((ulong)a.Stride)} | [{r.Name}](#{r.Name.ToLowerInvariant()}) | {r.WidthBits} | {AccessName(r.Access)} | {Hex(r.Reset)} | {Cell(r.Decl.Doc)} |");
            }
        }
        L();
        L("## Register fields");
        foreach (var r in spec.Registers)
        {
            L();
            L($"### {r.Name}");
            L();
            var where = r.Array is { } arr ? $"{Hex((ulong)(arr.Base + r.Offset))} + n * {Hex((ulong)arr.Stride)} (n < {arr.Count})" : Hex((ulong)r.Offset);
            L($"Offset {where}, {r.WidthBits} bits, {AccessName(r.Access)}, reset {Hex(r.Reset)}.{(r.Decl.Doc is { } rd ? " " + rd : "")}");
            if (r.Fields.Count == 0)
            {
                continue;
            }
            L();
            L("| Bits | Field | Access | Description |");
            L("| --- | --- | --- | --- |");
            foreach (var f in r.Fields.OrderByDescending(f => f.Hi))
            {
                L($"| {Bits(f.Hi, f.Lo)} | {f.Name} | {AccessName(f.Access)} | {Cell(f.Decl.Doc)} |");
            }
        }
        if (spec.Structs.Count > 0)
        {
            L();
            L("## Memory structures");
            foreach (var s in spec.Structs)
            {
                L();
                L($"### {s.Name} ({s.Size} bytes, {(s.BigEndian ? "big" : "little")} endian)");
                L();
                if (s.Decl.Doc is { } sdoc)
                {
                    L(sdoc);
                    L();
                }
                L("| Byte | Type | Bits | Field | Description |");
                L("| --- | --- | --- | --- | --- |");
                foreach (var f in s.Fields)
                {
                    L($"| {f.Offset} | {f.Decl.Type.Text} | {(f.IsWhole ? "" : Bits(f.Hi, f.Lo))} | {f.Name} | {Cell(f.Decl.Doc)} |");
                }
            }
        }
        if (spec.Vars.Count > 0)
        {
            L();
            L("## Mediator state");
            L();
            L("| Variable | Type | Elements | Reset | Description |");
            L("| --- | --- | --- | --- | --- |");
            foreach (var v in spec.Vars)
            {
                L($"| {v.Name} | {v.Decl.Type.Text} | {(v.Count == 0 ? "" : v.Count.ToString(System.Globalization.CultureInfo.InvariantCulture))} | {Hex(v.Decl.Reset)} | {Cell(v.Decl.Doc)} |");
            }
        }
        foreach (var d in spec.Decodes)
        {
            L();
            var src = d.Struct is null ? $"register {d.SelectorRegister!.Name}" : $"{d.Struct.Name}.{d.SelectorField!.Name}";
            L($"## Commands: {d.Name} (opcode in {src})");
            L();
            if (d.Decl.When is { } when)
            {
                L($"Decoded when `{ExprPrinter.Print(when)}`.");
                L();
            }
            foreach (var let in d.Decl.Lets)
            {
                L($"- `{let.Name} = {ExprPrinter.Print(let.Value)}`");
            }
            if (d.Decl.Lets.Count > 0)
            {
                L();
            }
            L("| Opcode | Command | Kind | LBA | Count | Notes |");
            L("| --- | --- | --- | --- | --- | --- |");
            foreach (var c in d.Decl.Cases)
            {
                var notes = new List<string>();
                if (c.Queued)
                {
                    notes.Add("queued");
                }
                if (c.Tag is not null)
                {
                    notes.Add($"tag `{ExprPrinter.Print(c.Tag)}`");
                }
                if (c.Actions.Count > 0)
                {
                    notes.Add($"{c.Actions.Count} action(s)");
                }
                L($"| {(c.IsDefault ? "default" : Hex(c.Opcode))} | {c.Name} | {c.Kind.Text} | {Code(c.Lba)} | {Code(c.Count)} | {Cell(string.Join(", ", notes))} |");
            }
        }
        if (spec.Doorbells.Count > 0)
        {
            L();
            L("## Doorbells");
            L();
            foreach (var d in spec.Doorbells)
            {
                var mode = d.Mode switch
                {
                    DoorbellMode.Bits => "each newly set bit is a command slot",
                    DoorbellMode.Ring => $"a ring tail; last tail kept in `{d.RingVar!.Name}`, size `{ExprPrinter.Print(d.Decl.RingSize!)}`",
                    _ => "each write is a command",
                };
                L($"- **{d.Name}** on `{d.Register.Name}`: {mode}.{(d.Decl.Doc is { } dd ? " " + dd : "")}");
            }
        }
        foreach (var m in spec.Machines)
        {
            L();
            L($"## State machine {m.Name}{(m.Per is null ? "" : $" (one per {m.Per.Name})")}");
            L();
            if (m.Decl.Doc is { } mdoc)
            {
                L(mdoc);
                L();
            }
            L($"Initial state: {m.States[m.Initial].Name}.");
            L();
            foreach (var s in m.States)
            {
                L($"- **{s.Name}**{(s.Doc is { } sd ? ": " + sd : "")}");
            }
            L();
            L("| From | To | Trigger | Guard |");
            L("| --- | --- | --- | --- |");
            foreach (var t in m.Transitions)
            {
                L($"| {(t.From < 0 ? "any" : m.States[t.From].Name)} | {m.States[t.To].Name} | {t.Trigger.ToString().ToLowerInvariant()} {t.Register?.Name ?? t.Doorbell!.Name} | {Code(t.Decl.Guard)} |");
            }
        }
        L();
        L("## Mediation");
        L();
        L($"- Safe point: `{(spec.SafePoint is { } sp ? ExprPrinter.Print(sp.Condition) : "")}`{(spec.SafePoint is not null && spec.AllInstances.TryGetValue(spec.SafePoint.Condition, out var arr2) ? $" for every {arr2.Name} instance" : "")}");
        if (spec.Interrupt is { } irq)
        {
            L($"- Interrupt line: `{ExprPrinter.Print(irq.Condition)}`");
        }
        foreach (var p in spec.Mediation)
        {
            L(p.When is null
                ? $"- {p.Point.Text}: {string.Join(", ", p.Names.Select(n => n.Text))}"
                : $"- {p.Point.Text} when `{ExprPrinter.Print(p.When)}`");
        }
        return sb.ToString();
    }

    private static string Code(Expr? e) => e is null ? "" : "`" + Cell(ExprPrinter.Print(e)) + "`";
}

using System.Globalization;
using BareMetal.MediatorModel.Spec.Ast;
using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Binding;

/// <summary>
/// Pass 3: resolves every name, checks the register map, structures, decode tables, doorbells and
/// state machines, and type-checks expressions. Reports every problem it finds (up to the cap) and
/// returns the bound model only when there was none.
/// </summary>
public sealed class Binder
{
    /// <summary>Per-port or per-queue arrays beyond this are a typo, not a device (AHCI has 32 ports, NVMe 65536 queues but nobody maps them all).</summary>
    public const int MaxArrayCount = 4096;

    /// <summary>Register instances across the whole map: bounds the generated tables.</summary>
    public const int MaxRegisterInstances = 65536;

    /// <summary>Structures are descriptors and queue entries, never bulk data.</summary>
    public const int MaxStructSize = 4096;

    /// <summary>Register offsets live in an MMIO or I/O window; 1 GiB is far beyond any BAR a mediator sees.</summary>
    public const ulong MaxOffset = 1UL << 30;

    public static readonly string[] CommandKinds = ["read", "write", "flush", "identify", "other"];

    private static readonly string[] AccessNames = ["rw", "ro", "wo", "w1c", "w1s", "rc"];
    private static readonly string[] Builtins = ["index", "item", "opcode", "lba", "count", "tag", "queued", "safepoint"];
    private static readonly string[] DoorbellBuiltins = ["opcode", "lba", "count", "tag", "queued"];

    private readonly DiagnosticBag _d;
    private readonly BoundSpec _spec;
    private readonly Dictionary<string, RegisterSymbol> _registers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ArraySymbol> _arrays = new(StringComparer.Ordinal);
    private readonly Dictionary<string, StructSymbol> _structs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, VarSymbol> _vars = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DecodeSymbol> _decodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DoorbellSymbol> _doorbells = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SourceLocation> _topNames = new(StringComparer.Ordinal);

    private Binder(DeviceDecl device, DiagnosticBag diagnostics)
    {
        _d = diagnostics;
        _spec = new BoundSpec(device);
    }

    public static BoundSpec? Bind(DeviceDecl device, DiagnosticBag diagnostics)
    {
        var b = new Binder(device, diagnostics);
        b.Run();
        return diagnostics.HasErrors ? null : b._spec;
    }

    private static string Hex(ulong v) => "0x" + v.ToString("X", CultureInfo.InvariantCulture);

    private void Report(SourceLocation at, string code, string message) => _d.Report(at, code, message);

    /// <summary>Registers, arrays, structs, vars, decodes, doorbells and machines share one namespace.</summary>
    private bool Declare(string name, SourceLocation at, string what)
    {
        if (Array.IndexOf(Builtins, name) >= 0)
        {
            Report(at, DiagnosticCodes.ReservedName, $"'{name}' is a built-in name and cannot name a {what}");
            return false;
        }
        if (_topNames.TryGetValue(name, out var first))
        {
            Report(at, DiagnosticCodes.DuplicateName, $"'{name}' is already declared at {first}");
            return false;
        }
        _topNames[name] = at;
        return true;
    }

    private void Run()
    {
        var items = _spec.Device.Items;
        // Declarations first, so that code may refer to anything declared anywhere in the file.
        foreach (var item in items)
        {
            switch (item)
            {
                case RegisterDecl r:
                    BindRegister(r, null);
                    break;
                case ArrayDecl a:
                    BindArray(a);
                    break;
                case StructDecl s:
                    BindStruct(s);
                    break;
                case VarDecl v:
                    BindVar(v);
                    break;
            }
        }
        CheckRegisterOverlaps();
        CheckAccessorNames();
        foreach (var item in items)
        {
            if (item is DecodeDecl dd)
            {
                DeclareDecode(dd);
            }
            else if (item is DoorbellDecl db)
            {
                DeclareDoorbell(db);
            }
        }
        foreach (var dec in _spec.Decodes)
        {
            BindDecode(dec);
        }
        foreach (var db in _spec.Doorbells)
        {
            BindDoorbellBody(db);
        }
        foreach (var item in items)
        {
            switch (item)
            {
                case HookDecl h:
                    BindHook(h);
                    break;
                case MachineDecl m:
                    BindMachine(m);
                    break;
                case SafePointDecl sp:
                    if (_spec.SafePoint is not null)
                    {
                        Report(sp.Location, DiagnosticCodes.DuplicateSection, $"the device already has a safe point at {_spec.SafePoint.Location}");
                        break;
                    }
                    _spec.SafePoint = sp;
                    ConditionOverInstances(sp.Condition, new Scope { AllInstances = true });
                    break;
                case InterruptDecl irq:
                    if (_spec.Interrupt is not null)
                    {
                        Report(irq.Location, DiagnosticCodes.DuplicateSection, $"the device already has an interrupt condition at {_spec.Interrupt.Location}");
                        break;
                    }
                    _spec.Interrupt = irq;
                    Condition(irq.Condition, new Scope());
                    break;
                case List<MediationDecl> points:
                    foreach (var p in points)
                    {
                        BindMediation(p);
                    }
                    break;
            }
        }
        if (_spec.SafePoint is null)
        {
            Report(_spec.Device.Location, DiagnosticCodes.MissingSafePoint,
                $"device '{_spec.Name}' has no 'safepoint' condition: de-virtualization needs to know when nothing is in flight");
        }
    }

    private Access? ParseAccess(Name access)
    {
        var i = Array.IndexOf(AccessNames, access.Text);
        if (i < 0)
        {
            Report(access.Location, DiagnosticCodes.BadAccess, $"'{access.Text}' is not an access kind (rw, ro, wo, w1c, w1s, rc)");
            return null;
        }
        return (Access)i;
    }

    private void BindRegister(RegisterDecl r, ArraySymbol? array)
    {
        var ok = Declare(r.Name, r.Location, "register");
        var width = r.Width;
        var widthOk = width is 8 or 16 or 32 or 64;
        if (!widthOk)
        {
            Report(r.WidthLocation, DiagnosticCodes.BadWidth, $"register '{r.Name}' is {r.Width} bits wide; registers are 8, 16, 32 or 64 bits");
            ok = false;
            width = 64;
        }
        if (r.Offset >= MaxOffset)
        {
            Report(r.OffsetLocation, DiagnosticCodes.TooLarge, $"register '{r.Name}' offset {Hex(r.Offset)} is beyond {Hex(MaxOffset)}");
            ok = false;
        }
        else if (widthOk && r.Offset % (width / 8) != 0)
        {
            Report(r.OffsetLocation, DiagnosticCodes.Misaligned, $"register '{r.Name}' at {Hex(r.Offset)} is not aligned to its {width / 8}-byte width");
        }
        var access = ParseAccess(r.Access);
        var widthMask = width == 64 ? ulong.MaxValue : (1UL << (int)width) - 1;
        if ((r.Reset & ~widthMask) != 0)
        {
            Report(r.ResetLocation, DiagnosticCodes.ResetTooWide, $"reset value {Hex(r.Reset)} does not fit register '{r.Name}' of {width} bits");
        }
        var sym = new RegisterSymbol(r, array, (int)Math.Min(r.Offset, MaxOffset), (int)width, access ?? Access.Rw);
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var f in r.Fields)
        {
            if (seen.TryGetValue(f.Name, out var first))
            {
                Report(f.Location, DiagnosticCodes.DuplicateName, $"field '{f.Name}' is already declared in '{r.Name}' at {first}");
                continue;
            }
            seen[f.Name] = f.Location;
            if (f.Hi < f.Lo)
            {
                Report(f.Location, DiagnosticCodes.ReversedBits, $"field '{r.Name}.{f.Name}' has bits [{f.Hi}:{f.Lo}]; write the high bit first");
                continue;
            }
            if (f.Hi >= width)
            {
                Report(f.Location, DiagnosticCodes.FieldOutsideRegister,
                    $"field '{r.Name}.{f.Name}' [{f.Hi}:{f.Lo}] does not fit in the {width}-bit register");
                continue;
            }
            var fa = f.Access is { } fan ? ParseAccess(fan) : sym.Access;
            var field = new FieldSymbol(f, (int)f.Hi, (int)f.Lo, fa ?? sym.Access);
            var clash = sym.Fields.FirstOrDefault(o => (o.Mask & field.Mask) != 0);
            if (clash is not null)
            {
                Report(f.Location, DiagnosticCodes.OverlappingFields,
                    $"field '{r.Name}.{f.Name}' [{f.Hi}:{f.Lo}] overlaps '{clash.Name}' [{clash.Hi}:{clash.Lo}]");
                continue;
            }
            sym.Fields.Add(field);
        }
        if (!ok)
        {
            return;
        }
        _registers[r.Name] = sym;
        _spec.Registers.Add(sym);
        array?.Registers.Add(sym);
    }

    private void BindArray(ArrayDecl a)
    {
        var ok = Declare(a.Name, a.Location, "register array");
        if (a.Count == 0 || a.Count > MaxArrayCount)
        {
            Report(a.CountLocation, DiagnosticCodes.BadArray, $"array '{a.Name}' has {a.Count} instances; between 1 and {MaxArrayCount} are allowed");
            ok = false;
        }
        if (a.Base >= MaxOffset || a.Stride >= MaxOffset || (a.Count <= MaxArrayCount && a.Base + (a.Count * a.Stride) >= MaxOffset))
        {
            Report(a.Location, DiagnosticCodes.TooLarge, $"array '{a.Name}' reaches beyond offset {Hex(MaxOffset)}");
            ok = false;
        }
        var sym = new ArraySymbol(a, (int)Math.Clamp(a.Count, 1, MaxArrayCount), (int)Math.Min(a.Base, MaxOffset), (int)Math.Min(a.Stride, MaxOffset));
        foreach (var r in a.Registers)
        {
            BindRegister(r, sym);
        }
        if (!ok)
        {
            // Keep its registers out of the map: their offsets cannot be trusted.
            foreach (var r in sym.Registers)
            {
                _spec.Registers.Remove(r);
                _registers.Remove(r.Name);
            }
            return;
        }
        var span = sym.Registers.Count == 0 ? 0 : sym.Registers.Max(r => r.Offset + r.Bytes);
        if (sym.Count > 1 && span > sym.Stride)
        {
            Report(a.StrideLocation, DiagnosticCodes.BadArray, $"array '{a.Name}' registers span {Hex((ulong)span)} bytes but the stride is {Hex(a.Stride)}");
        }
        _arrays[a.Name] = sym;
        _spec.Arrays.Add(sym);
    }

    /// <summary>The generated class names accessors REG and REG_FIELD: a register called A_B next to field B of A would collide.</summary>
    private void CheckAccessorNames()
    {
        var fieldAccessors = new Dictionary<string, (RegisterSymbol Register, FieldSymbol Field)>(StringComparer.Ordinal);
        foreach (var r in _spec.Registers)
        {
            foreach (var f in r.Fields)
            {
                fieldAccessors.TryAdd(r.Name + "_" + f.Name, (r, f));
            }
        }
        foreach (var r in _spec.Registers)
        {
            if (fieldAccessors.TryGetValue(r.Name, out var clash))
            {
                Report(r.Decl.Location, DiagnosticCodes.DuplicateName,
                    $"register '{r.Name}' has the generated name of field '{clash.Register.Name}.{clash.Field.Name}'; rename one of them");
            }
        }
    }

    private void CheckRegisterOverlaps()
    {
        var total = _spec.Registers.Sum(r => (long)r.Instances);
        if (total > MaxRegisterInstances)
        {
            Report(_spec.Device.Location, DiagnosticCodes.TooLarge, $"the register map has {total} register instances; the limit is {MaxRegisterInstances}");
            _spec.Registers.Clear();
            return;
        }
        var order = _spec.Registers.Select((r, i) => (r, i)).ToDictionary(x => x.r, x => x.i);
        var slots = new List<(RegisterSymbol Register, int Instance, int Offset)>();
        foreach (var r in _spec.Registers)
        {
            for (var i = 0; i < r.Instances; i++)
            {
                slots.Add((r, i, r.AbsoluteOffset(i)));
            }
        }
        // Sorted by offset, then by declaration: the table the generated lookup searches, and a stable order for reports.
        slots.Sort((x, y) => x.Offset != y.Offset ? x.Offset.CompareTo(y.Offset)
            : order[x.Register] != order[y.Register] ? order[x.Register].CompareTo(order[y.Register]) : x.Instance.CompareTo(y.Instance));
        var reported = new HashSet<(RegisterSymbol, RegisterSymbol)>();
        var findings = new List<(RegisterSymbol Later, string Message)>();
        for (var k = 0; k < slots.Count; k++)
        {
            var cur = slots[k];
            for (var j = k - 1; j >= 0 && k - j <= 16; j--)
            {
                var prev = slots[j];
                if (prev.Offset + prev.Register.Bytes <= cur.Offset)
                {
                    continue;
                }
                // A read-only and a write-only register may share an address (IDE status/command).
                var alias = prev.Offset == cur.Offset && prev.Register.Bytes == cur.Register.Bytes
                    && ((!prev.Register.Writable && !cur.Register.Readable) || (!prev.Register.Readable && !cur.Register.Writable));
                if (alias)
                {
                    continue;
                }
                var (a, b) = order[prev.Register] < order[cur.Register] ? (prev, cur) : (cur, prev);
                if (reported.Add((a.Register, b.Register)))
                {
                    var size = a.Register.Bytes == 1 ? "1 byte" : $"{a.Register.Bytes} bytes";
                    findings.Add((b.Register, $"register '{b.Register.Name}' at {Hex((ulong)b.Offset)} overlaps '{a.Register.Name}' at {Hex((ulong)a.Offset)} ({size})"));
                }
            }
        }
        foreach (var (later, message) in findings.OrderBy(f => order[f.Later]))
        {
            Report(later.Decl.OffsetLocation, DiagnosticCodes.OverlappingRegisters, message);
        }
        var next = 0;
        foreach (var r in _spec.Registers)
        {
            r.FirstSlot = next;
            next += r.Instances;
        }
        _spec.Slots.AddRange(slots);
    }

    private static int? TypeBytes(string type) => type switch
    {
        "u8" => 1,
        "u16" => 2,
        "u32" => 4,
        "u64" => 8,
        _ => null,
    };

    private void BindStruct(StructDecl s)
    {
        if (!Declare(s.Name, s.Location, "struct"))
        {
            return;
        }
        if (s.Size == 0 || s.Size > MaxStructSize)
        {
            Report(s.Location, DiagnosticCodes.TooLarge, $"struct '{s.Name}' is {s.Size} bytes; between 1 and {MaxStructSize} are allowed");
            return;
        }
        var sym = new StructSymbol(s, (int)s.Size);
        var owner = new int[sym.Size * 8];
        var seen = new Dictionary<string, SourceLocation>(StringComparer.Ordinal);
        foreach (var f in s.Fields)
        {
            if (seen.TryGetValue(f.Name, out var first))
            {
                Report(f.Location, DiagnosticCodes.DuplicateName, $"field '{f.Name}' is already declared in '{s.Name}' at {first}");
                continue;
            }
            seen[f.Name] = f.Location;
            if (TypeBytes(f.Type.Text) is not { } bytes)
            {
                Report(f.Type.Location, DiagnosticCodes.BadType, $"'{f.Type.Text}' is not a type (u8, u16, u32, u64)");
                continue;
            }
            if (f.Offset > s.Size || f.Offset + (ulong)bytes > s.Size)
            {
                Report(f.Location, DiagnosticCodes.FieldOutsideStruct,
                    $"field '{s.Name}.{f.Name}' at byte {f.Offset} ({bytes} bytes) ends beyond the struct's {s.Size} bytes");
                continue;
            }
            var hi = f.Hi ?? (ulong)(bytes * 8) - 1;
            var lo = f.Lo ?? 0;
            if (hi < lo)
            {
                Report(f.Location, DiagnosticCodes.ReversedBits, $"field '{s.Name}.{f.Name}' has bits [{hi}:{lo}]; write the high bit first");
                continue;
            }
            if (hi >= (ulong)(bytes * 8))
            {
                Report(f.Location, DiagnosticCodes.BitsOutsideType, $"field '{s.Name}.{f.Name}' bits [{hi}:{lo}] do not fit its {f.Type.Text}");
                continue;
            }
            var field = new StructFieldSymbol(f, (int)f.Offset, bytes, (int)hi, (int)lo);
            var index = sym.Fields.Count + 1;
            var clash = 0;
            for (var b = field.Lo; b <= field.Hi; b++)
            {
                var byteInField = b / 8;
                var byteAt = field.Offset + (s.BigEndian ? bytes - 1 - byteInField : byteInField);
                var pos = (byteAt * 8) + (b % 8);
                if (owner[pos] != 0 && clash == 0)
                {
                    clash = owner[pos];
                }
            }
            if (clash != 0)
            {
                var other = sym.Fields[clash - 1];
                Report(f.Location, DiagnosticCodes.OverlappingStructFields, $"field '{s.Name}.{f.Name}' overlaps '{other.Name}' (byte {other.Offset})");
                continue;
            }
            for (var b = field.Lo; b <= field.Hi; b++)
            {
                var byteInField = b / 8;
                var byteAt = field.Offset + (s.BigEndian ? bytes - 1 - byteInField : byteInField);
                owner[(byteAt * 8) + (b % 8)] = index;
            }
            sym.Fields.Add(field);
        }
        _structs[s.Name] = sym;
        _spec.Structs.Add(sym);
    }

    private void BindVar(VarDecl v)
    {
        if (!Declare(v.Name, v.Location, "variable"))
        {
            return;
        }
        if (TypeBytes(v.Type.Text) is not { } bytes)
        {
            Report(v.Type.Location, DiagnosticCodes.BadType, $"'{v.Type.Text}' is not a type (u8, u16, u32, u64)");
            return;
        }
        if (v.Count > MaxArrayCount)
        {
            Report(v.CountLocation, DiagnosticCodes.BadArray, $"variable '{v.Name}' has {v.Count} elements; at most {MaxArrayCount} are allowed");
            return;
        }
        var sym = new VarSymbol(v, bytes * 8, (int)v.Count);
        if ((v.Reset & ~sym.Mask) != 0)
        {
            Report(v.Location, DiagnosticCodes.ResetTooWide, $"reset value {Hex(v.Reset)} does not fit variable '{v.Name}' ({v.Type.Text})");
        }
        _vars[v.Name] = sym;
        _spec.Vars.Add(sym);
    }

    private void DeclareDecode(DecodeDecl d)
    {
        if (Declare(d.Name, d.Location, "decode table"))
        {
            var sym = new DecodeSymbol(d, _spec.Decodes.Count);
            _decodes[d.Name] = sym;
            _spec.Decodes.Add(sym);
        }
    }

    private void DeclareDoorbell(DoorbellDecl d)
    {
        if (!Declare(d.Name, d.Location, "doorbell"))
        {
            return;
        }
        if (!_registers.TryGetValue(d.Register.Text, out var reg))
        {
            Report(d.Register.Location, DiagnosticCodes.UnknownRegister, $"unknown register '{d.Register.Text}'");
            return;
        }
        DoorbellMode mode;
        switch (d.Mode.Text)
        {
            case "bits":
                mode = DoorbellMode.Bits;
                break;
            case "ring":
                mode = DoorbellMode.Ring;
                break;
            case "write":
                mode = DoorbellMode.Write;
                break;
            default:
                Report(d.Mode.Location, DiagnosticCodes.BadDoorbell, $"'{d.Mode.Text}' is not a doorbell mode (bits, ring, write)");
                return;
        }
        if (!reg.Writable)
        {
            Report(d.Register.Location, DiagnosticCodes.BadDoorbell, $"doorbell register '{reg.Name}' is read-only: the guest cannot ring it");
        }
        var sym = new DoorbellSymbol(d, _spec.Doorbells.Count, reg, mode);
        if (mode == DoorbellMode.Ring && d.RingVar is { } rv)
        {
            if (!_vars.TryGetValue(rv.Text, out var v))
            {
                Report(rv.Location, DiagnosticCodes.UnknownName, $"unknown variable '{rv.Text}' (a ring doorbell keeps the last tail in a 'var')");
            }
            else if (reg.Array is { } arr ? v.Count < arr.Count : v.Count != 0)
            {
                Report(rv.Location, DiagnosticCodes.BadDoorbell, reg.Array is { } a2
                    ? $"ring variable '{v.Name}' needs at least {a2.Count} elements, one per '{a2.Name}' instance"
                    : $"ring variable '{v.Name}' must be a scalar for the global register '{reg.Name}'");
            }
            else
            {
                sym.RingVar = v;
            }
        }
        _doorbells[d.Name] = sym;
        _spec.Doorbells.Add(sym);
    }

    private void BindDecode(DecodeSymbol dec)
    {
        var d = dec.Decl;
        var selectorBits = 64;
        if (d.Struct is { } sn)
        {
            if (!_structs.TryGetValue(sn.Text, out var st))
            {
                Report(sn.Location, DiagnosticCodes.UnknownStruct, $"unknown struct '{sn.Text}'");
                return;
            }
            dec.Struct = st;
            dec.SelectorField = st.Fields.FirstOrDefault(f => f.Name == d.Selector.Text);
            if (dec.SelectorField is null)
            {
                Report(d.Selector.Location, DiagnosticCodes.UnknownField, $"struct '{st.Name}' has no field '{d.Selector.Text}'");
                return;
            }
            selectorBits = dec.SelectorField.Hi - dec.SelectorField.Lo + 1;
        }
        else
        {
            if (!_registers.TryGetValue(d.Selector.Text, out var reg))
            {
                Report(d.Selector.Location, DiagnosticCodes.UnknownRegister, $"unknown register '{d.Selector.Text}'");
                return;
            }
            dec.SelectorRegister = reg;
            selectorBits = reg.WidthBits;
        }
        var scope = new Scope { Decode = dec, Instance = dec.SelectorRegister?.Array };
        if (d.When is not null)
        {
            Condition(d.When, scope);
        }
        foreach (var let in d.Lets)
        {
            if (let.StructName is not null)
            {
                Report(let.StructLocation, DiagnosticCodes.TypeMismatch, "a decode table's 'let' is a number; memory views belong in doorbells");
                continue;
            }
            Number(let.Value, scope);
            if (IsTaken(let.Name, scope) || dec.Lets.ContainsKey(let.Name))
            {
                Report(let.Location, DiagnosticCodes.DuplicateName, $"'{let.Name}' is already defined here");
                continue;
            }
            dec.Lets[let.Name] = let;
        }
        var opcodes = new Dictionary<ulong, DecodeCase>();
        DecodeCase? seenDefault = null;
        foreach (var c in d.Cases)
        {
            if (c.IsDefault)
            {
                if (seenDefault is not null)
                {
                    Report(c.Location, DiagnosticCodes.DuplicateDefault, $"decode table '{d.Name}' already has a default at {seenDefault.Location}");
                }
                seenDefault ??= c;
            }
            else
            {
                if (selectorBits < 64 && c.Opcode >> selectorBits != 0)
                {
                    Report(c.Location, DiagnosticCodes.OpcodeTooWide, $"opcode {Hex(c.Opcode)} does not fit the {selectorBits}-bit selector '{d.Selector.Text}'");
                }
                if (opcodes.TryGetValue(c.Opcode, out var first))
                {
                    Report(c.Location, DiagnosticCodes.DuplicateOpcode, $"opcode {Hex(c.Opcode)} is already decoded as '{first.Name}' at {first.Location}");
                }
                else
                {
                    opcodes[c.Opcode] = c;
                }
            }
            if (Array.IndexOf(CommandKinds, c.Kind.Text) < 0)
            {
                Report(c.Kind.Location, DiagnosticCodes.BadCommandKind, $"'{c.Kind.Text}' is not a command kind (read, write, flush, identify, other)");
            }
            else if (c.Kind.Text is "read" or "write" && (c.Lba is null || c.Count is null))
            {
                Report(c.Location, DiagnosticCodes.MissingLbaOrCount, $"{c.Kind.Text} command '{c.Name}' needs both 'lba = ...' and 'count = ...'");
            }
            foreach (var e in new[] { c.Lba, c.Count, c.Tag })
            {
                if (e is not null)
                {
                    Number(e, scope);
                }
            }
            Statements(c.Actions, scope);
        }
    }

    private bool IsTaken(string name, Scope scope) =>
        scope.Locals.ContainsKey(name) || scope.Builtins.Contains(name) || Array.IndexOf(Builtins, name) >= 0
        || (scope.Decode?.Struct?.Fields.Any(f => f.Name == name) ?? false);

    private Scope DoorbellScope(DoorbellSymbol db)
    {
        var scope = new Scope { Instance = db.Register.Array };
        scope.Builtins.Add("item");
        scope.Builtins.UnionWith(DoorbellBuiltins);
        if (db.Register.Array is not null)
        {
            scope.Builtins.Add("index");
        }
        return scope;
    }

    private void BindDoorbellBody(DoorbellSymbol db)
    {
        var scope = DoorbellScope(db);
        if (db.Decl.RingSize is { } size)
        {
            var sizeScope = new Scope { Instance = db.Register.Array };
            if (db.Register.Array is not null)
            {
                sizeScope.Builtins.Add("index");
            }
            Number(size, sizeScope);
        }
        Statements(db.Decl.Body, scope, db.BodyLets);
        scope.InCompletion = true;
        Statements(db.Decl.Completion, scope, db.CompletionLets);
    }

    private void BindHook(HookDecl h)
    {
        if (h.Event.Text is not ("read" or "write"))
        {
            Report(h.Event.Location, DiagnosticCodes.MissingTrigger, $"'on' takes 'read' or 'write', not '{h.Event.Text}'");
            return;
        }
        if (!_registers.TryGetValue(h.Register.Text, out var reg))
        {
            Report(h.Register.Location, DiagnosticCodes.UnknownRegister, $"unknown register '{h.Register.Text}'");
            return;
        }
        var scope = new Scope { Instance = reg.Array };
        if (reg.Array is not null)
        {
            scope.Builtins.Add("index");
        }
        Statements(h.Body, scope);
        _spec.Hooks.Add(new HookSymbol(h, reg, h.Event.Text == "write"));
    }

    private void BindMachine(MachineDecl m)
    {
        if (!Declare(m.Name, m.Location, "machine"))
        {
            return;
        }
        ArraySymbol? per = null;
        if (m.PerArray is { } pn && !_arrays.TryGetValue(pn.Text, out per))
        {
            Report(pn.Location, DiagnosticCodes.UnknownArray, $"unknown register array '{pn.Text}'");
            return;
        }
        var sym = new MachineSymbol(m, per);
        var states = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var s in m.States)
        {
            if (states.TryGetValue(s.Name, out var first))
            {
                Report(s.Location, DiagnosticCodes.DuplicateName, $"state '{s.Name}' is already declared at {sym.States[first].Location}");
                continue;
            }
            states[s.Name] = sym.States.Count;
            sym.States.Add(s);
        }
        if (sym.States.Count == 0)
        {
            Report(m.Location, DiagnosticCodes.NoStates, $"machine '{m.Name}' declares no states");
            return;
        }
        if (m.Initial is not { } init)
        {
            Report(m.Location, DiagnosticCodes.MissingInitial, $"machine '{m.Name}' has no 'initial STATE;'");
        }
        else if (!states.TryGetValue(init.Text, out var ii))
        {
            Report(init.Location, DiagnosticCodes.UnknownState, $"unknown state '{init.Text}' in machine '{m.Name}'");
        }
        else
        {
            sym.Initial = ii;
        }
        var scope = new Scope { Instance = per };
        if (per is not null)
        {
            scope.Builtins.Add("index");
        }
        // Edges for reachability include transitions whose trigger is wrong: that error is reported
        // once, not echoed as an unreachable state.
        var edges = new List<(int From, int To)>();
        foreach (var t in m.Transitions)
        {
            var from = -1;
            if (t.From.Text != "*" && !states.TryGetValue(t.From.Text, out from))
            {
                Report(t.From.Location, DiagnosticCodes.UnknownState, $"unknown state '{t.From.Text}' in machine '{m.Name}'");
                continue;
            }
            if (!states.TryGetValue(t.To.Text, out var to))
            {
                Report(t.To.Location, DiagnosticCodes.UnknownState, $"unknown state '{t.To.Text}' in machine '{m.Name}'");
                continue;
            }
            edges.Add((from, to));
            if (t.Trigger is not { } trig)
            {
                Report(t.Location, DiagnosticCodes.MissingTrigger,
                    $"transition {t.From.Text} -> {t.To.Text} has no trigger (on write REG, on read REG, on doorbell NAME, on complete NAME)");
                continue;
            }
            TransitionSymbol? bound = null;
            switch (trig.Kind.Text)
            {
                case "write":
                case "read":
                    if (!_registers.TryGetValue(trig.Target.Text, out var reg))
                    {
                        Report(trig.Target.Location, DiagnosticCodes.UnknownRegister, $"unknown register '{trig.Target.Text}'");
                        break;
                    }
                    if (reg.Array is not null && reg.Array != per)
                    {
                        Report(trig.Target.Location, DiagnosticCodes.TriggerOutOfScope,
                            $"register '{reg.Name}' belongs to array '{reg.Array.Name}' but machine '{m.Name}' is {(per is null ? "global" : $"per '{per.Name}'")}");
                        break;
                    }
                    bound = new TransitionSymbol(t, from, to, trig.Kind.Text == "write" ? TriggerKind.Write : TriggerKind.Read, reg, null);
                    break;
                case "doorbell":
                case "complete":
                    if (!_doorbells.TryGetValue(trig.Target.Text, out var db))
                    {
                        Report(trig.Target.Location, DiagnosticCodes.UnknownDoorbell, $"unknown doorbell '{trig.Target.Text}'");
                        break;
                    }
                    if (db.Register.Array != per)
                    {
                        Report(trig.Target.Location, DiagnosticCodes.TriggerOutOfScope,
                            $"doorbell '{db.Name}' rings {(db.Register.Array is null ? "globally" : $"per '{db.Register.Array.Name}'")} but machine '{m.Name}' is {(per is null ? "global" : $"per '{per.Name}'")}");
                        break;
                    }
                    bound = new TransitionSymbol(t, from, to, trig.Kind.Text == "doorbell" ? TriggerKind.Doorbell : TriggerKind.Complete, null, db);
                    break;
                default:
                    Report(trig.Kind.Location, DiagnosticCodes.MissingTrigger, $"'{trig.Kind.Text}' is not a trigger (write, read, doorbell, complete)");
                    break;
            }
            if (t.Guard is not null)
            {
                Condition(t.Guard, scope);
            }
            Statements(t.Actions, scope);
            if (bound is not null)
            {
                sym.Transitions.Add(bound);
            }
        }
        // Reachability from the initial state: a state no transition reaches is a modelling mistake.
        var reached = new bool[sym.States.Count];
        var queue = new Queue<int>();
        reached[sym.Initial] = true;
        queue.Enqueue(sym.Initial);
        while (queue.Count > 0)
        {
            var s = queue.Dequeue();
            foreach (var (from, to) in edges)
            {
                if ((from == s || from == -1) && !reached[to])
                {
                    reached[to] = true;
                    queue.Enqueue(to);
                }
            }
        }
        if (m.Initial is not null && states.ContainsKey(m.Initial.Value.Text))
        {
            for (var i = 0; i < sym.States.Count; i++)
            {
                if (!reached[i])
                {
                    Report(sym.States[i].Location, DiagnosticCodes.UnreachableState,
                        $"state '{sym.States[i].Name}' of machine '{m.Name}' cannot be reached from '{sym.States[sym.Initial].Name}'");
                }
            }
        }
        _spec.Machines.Add(sym);
    }

    private void BindMediation(MediationDecl p)
    {
        if (_spec.Mediation.Any(o => o.Point.Text == p.Point.Text))
        {
            Report(p.Location, DiagnosticCodes.DuplicateSection, $"mediation point '{p.Point.Text}' is already declared");
            return;
        }
        switch (p.Point.Text)
        {
            case "interpret":
                foreach (var n in p.Names)
                {
                    if (!_doorbells.ContainsKey(n.Text))
                    {
                        Report(n.Location, DiagnosticCodes.UnknownDoorbell, $"unknown doorbell '{n.Text}'");
                    }
                }
                break;
            case "redirect":
                foreach (var n in p.Names)
                {
                    if (Array.IndexOf(CommandKinds, n.Text) < 0)
                    {
                        Report(n.Location, DiagnosticCodes.BadCommandKind, $"'{n.Text}' is not a command kind (read, write, flush, identify, other)");
                    }
                }
                break;
            default:
                if (p.When is not null)
                {
                    ConditionOverInstances(p.When, new Scope { AllInstances = true, AllowSafePoint = true });
                }
                break;
        }
        _spec.Mediation.Add(p);
    }

    // ---- statements and expressions ----

    private void Statements(IReadOnlyList<Stmt> stmts, Scope scope, List<LetStmt>? lets = null)
    {
        foreach (var s in stmts)
        {
            switch (s)
            {
                case LetStmt let:
                    if (let.StructName is { } sn)
                    {
                        if (!_structs.ContainsKey(sn))
                        {
                            Report(let.StructLocation, DiagnosticCodes.UnknownStruct, $"unknown struct '{sn}'");
                        }
                    }
                    Number(let.Value, scope);
                    if (IsTaken(let.Name, scope) || lets is null)
                    {
                        Report(let.Location, lets is null ? DiagnosticCodes.NotAssignable : DiagnosticCodes.DuplicateName,
                            lets is null ? "'let' is allowed in doorbells and at the top of decode tables only" : $"'{let.Name}' is already defined here");
                        break;
                    }
                    scope.Locals[let.Name] = let;
                    lets.Add(let);
                    break;
                case IfStmt iff:
                    Condition(iff.Condition, scope);
                    Statements(iff.Then, scope, lets);
                    Statements(iff.Else, scope, lets);
                    break;
                case DecodeStmt dec:
                    BindDecodeStmt(dec, scope);
                    break;
                case AssignStmt a:
                    Assign(a, scope);
                    break;
            }
        }
    }

    private void BindDecodeStmt(DecodeStmt s, Scope scope)
    {
        if (!scope.Builtins.Contains("opcode") || scope.InCompletion)
        {
            Report(s.Location, DiagnosticCodes.DecodeMismatch, "'decode' belongs in a doorbell's body, before 'complete:'");
            return;
        }
        if (!_decodes.TryGetValue(s.Table, out var table))
        {
            Report(s.Location, DiagnosticCodes.UnknownDecode, $"unknown decode table '{s.Table}'");
            return;
        }
        if (table.Decl.Struct is null)
        {
            if (s.View is not null)
            {
                Report(s.ViewLocation, DiagnosticCodes.DecodeMismatch, $"decode table '{table.Name}' reads registers; write 'decode {table.Name};'");
            }
            return;
        }
        if (s.View is null)
        {
            Report(s.Location, DiagnosticCodes.DecodeMismatch, $"decode table '{table.Name}' reads a '{table.Decl.Struct.Value.Text}' in memory; write 'decode {table.Name}(VIEW);'");
            return;
        }
        if (!scope.Locals.TryGetValue(s.View, out var let) || let.StructName is null)
        {
            Report(s.ViewLocation, DiagnosticCodes.UnknownName, $"'{s.View}' is not a memory view (let NAME = STRUCT at ADDRESS;)");
            return;
        }
        if (let.StructName != table.Decl.Struct.Value.Text)
        {
            Report(s.ViewLocation, DiagnosticCodes.DecodeMismatch, $"decode table '{table.Name}' reads a '{table.Decl.Struct.Value.Text}' but '{s.View}' is a '{let.StructName}'");
        }
    }

    private void Assign(AssignStmt a, Scope scope)
    {
        var t = Bind(a.Target, scope);
        Number(a.Value, scope);
        if (t == ExprType.Error)
        {
            return;
        }
        var ok = _spec.Resolutions.TryGetValue(a.Target, out var r) && r.Kind switch
        {
            ResolutionKind.Register or ResolutionKind.RegisterField or ResolutionKind.ViewField => true,
            ResolutionKind.Var => r.Var!.Count == 0 || r.Index is not null,
            _ => false,
        };
        if (!ok)
        {
            Report(a.Target.Location, DiagnosticCodes.NotAssignable, "only registers, register fields, variables and fields of memory views can be assigned");
        }
    }

    private void Condition(Expr e, Scope scope)
    {
        var t = Bind(e, scope);
        if (t == ExprType.View)
        {
            Report(e.Location, DiagnosticCodes.TypeMismatch, "a memory view is not a condition; read one of its fields");
        }
    }

    private void ConditionOverInstances(Expr e, Scope scope)
    {
        Condition(e, scope);
        if (scope.AllInstancesArray is { } array)
        {
            _spec.AllInstances[e] = array;
        }
    }

    private void Number(Expr e, Scope scope)
    {
        var t = Bind(e, scope);
        if (t == ExprType.Bool)
        {
            Report(e.Location, DiagnosticCodes.TypeMismatch, "expected a number but found a condition");
        }
        else if (t == ExprType.View)
        {
            Report(e.Location, DiagnosticCodes.TypeMismatch, "a memory view is not a number; read one of its fields");
        }
    }

    private ExprType Bind(Expr e, Scope scope)
    {
        var t = BindCore(e, scope);
        _spec.Types[e] = t;
        return t;
    }

    private ExprType Resolved(Expr e, Resolution r, ExprType t)
    {
        _spec.Resolutions[e] = r;
        return t;
    }

    private ExprType BindCore(Expr e, Scope scope)
    {
        switch (e)
        {
            case IntLiteral:
                return ExprType.Int;
            case ErrorExpr:
                return ExprType.Error;
            case NameExpr n:
                return BindName(n, scope);
            case MemberExpr m:
                return BindMember(m, scope);
            case IndexExpr ix:
                return BindIndex(ix, scope);
            case UnaryExpr u:
                if (u.Op == "!")
                {
                    Condition(u.Operand, scope);
                    return ExprType.Bool;
                }
                Number(u.Operand, scope);
                return ExprType.Int;
            case BinaryExpr b:
                if (b.Op is "&&" or "||")
                {
                    Condition(b.Left, scope);
                    Condition(b.Right, scope);
                    return ExprType.Bool;
                }
                Number(b.Left, scope);
                Number(b.Right, scope);
                return b.Op is "==" or "!=" or "<" or "<=" or ">" or ">=" ? ExprType.Bool : ExprType.Int;
            case ConditionalExpr c:
                {
                    Condition(c.Condition, scope);
                    var a = Bind(c.WhenTrue, scope);
                    var b = Bind(c.WhenFalse, scope);
                    if (a == ExprType.Error || b == ExprType.Error)
                    {
                        return ExprType.Error;
                    }
                    if (a != b || a == ExprType.View)
                    {
                        Report(c.Location, DiagnosticCodes.TypeMismatch, "both branches of '?:' must be numbers, or both conditions");
                        return ExprType.Error;
                    }
                    return a;
                }
            default:
                return ExprType.Error;
        }
    }

    private ExprType BindName(NameExpr n, Scope scope)
    {
        var name = n.Name;
        if (scope.Locals.TryGetValue(name, out var let))
        {
            if (let.StructName is { } sn)
            {
                return _structs.TryGetValue(sn, out var st)
                    ? Resolved(n, new Resolution(ResolutionKind.View, Name: name, Struct: st, Let: let), ExprType.View)
                    : ExprType.Error;
            }
            return Resolved(n, new Resolution(ResolutionKind.Local, Name: name, Let: let), ExprType.Int);
        }
        if (scope.Builtins.Contains(name))
        {
            return Resolved(n, new Resolution(ResolutionKind.Builtin, Name: name), ExprType.Int);
        }
        if (name == "safepoint" && scope.AllowSafePoint)
        {
            return Resolved(n, new Resolution(ResolutionKind.SafePoint), ExprType.Bool);
        }
        if (scope.Decode is { } dec)
        {
            if (dec.Lets.TryGetValue(name, out var dl))
            {
                return Resolved(n, new Resolution(ResolutionKind.DecodeLet, Name: name, Let: dl), ExprType.Int);
            }
            if (dec.Struct?.Fields.FirstOrDefault(f => f.Name == name) is { } sf)
            {
                return Resolved(n, new Resolution(ResolutionKind.DecodeField, Struct: dec.Struct, StructField: sf), ExprType.Int);
            }
        }
        if (_vars.TryGetValue(name, out var v))
        {
            if (v.Count != 0)
            {
                Report(n.Location, DiagnosticCodes.IndexRequired, $"variable '{name}' has {v.Count} elements; write '{name}[INDEX]'");
                return ExprType.Error;
            }
            return Resolved(n, new Resolution(ResolutionKind.Var, Var: v), ExprType.Int);
        }
        if (_registers.TryGetValue(name, out var reg))
        {
            return CheckInstance(n, reg, scope)
                ? Resolved(n, new Resolution(ResolutionKind.Register, Register: reg), ExprType.Int)
                : ExprType.Error;
        }
        if (Array.IndexOf(Builtins, name) >= 0)
        {
            Report(n.Location, DiagnosticCodes.UnknownName, $"'{name}' is not available here");
            return ExprType.Error;
        }
        if (_topNames.ContainsKey(name))
        {
            Report(n.Location, DiagnosticCodes.TypeMismatch, $"'{name}' is not a value");
            return ExprType.Error;
        }
        Report(n.Location, DiagnosticCodes.UnknownName, $"unknown name '{name}'");
        return ExprType.Error;
    }

    /// <summary>An unindexed array register needs an instance from the context.</summary>
    private bool CheckInstance(Expr at, RegisterSymbol reg, Scope scope)
    {
        if (reg.Array is null || reg.Array == scope.Instance)
        {
            return true;
        }
        if (scope.AllInstances && (scope.AllInstancesArray is null || scope.AllInstancesArray == reg.Array))
        {
            scope.AllInstancesArray = reg.Array;
            return true;
        }
        Report(at.Location, DiagnosticCodes.IndexRequired,
            $"register '{reg.Name}' has one instance per '{reg.Array.Name}'; write '{reg.Name}[INDEX]'");
        return false;
    }

    private ExprType BindMember(MemberExpr m, Scope scope)
    {
        // Register field: REG.FIELD or REG[i].FIELD.
        var (target, index) = m.Target is IndexExpr ix ? (ix.Target, ix.Index) : (m.Target, null);
        if (target is NameExpr tn && !scope.Locals.ContainsKey(tn.Name) && _registers.TryGetValue(tn.Name, out var reg))
        {
            if (index is not null)
            {
                if (reg.Array is null)
                {
                    Report(m.Target.Location, DiagnosticCodes.NotIndexable, $"register '{reg.Name}' is not in an array");
                    return ExprType.Error;
                }
                Number(index, scope);
            }
            else if (!CheckInstance(target, reg, scope))
            {
                return ExprType.Error;
            }
            var field = reg.Fields.FirstOrDefault(f => f.Name == m.Member);
            if (field is null)
            {
                Report(m.MemberLocation, DiagnosticCodes.UnknownField, $"register '{reg.Name}' has no field '{m.Member}'");
                return ExprType.Error;
            }
            return Resolved(m, new Resolution(ResolutionKind.RegisterField, Register: reg, Field: field, Index: index), ExprType.Int);
        }
        var t = Bind(m.Target, scope);
        if (t == ExprType.Error)
        {
            return ExprType.Error;
        }
        if (t != ExprType.View || !_spec.Resolutions.TryGetValue(m.Target, out var view) || view.Struct is null)
        {
            Report(m.MemberLocation, DiagnosticCodes.UnknownField, $"'.{m.Member}' needs a register or a memory view on its left");
            return ExprType.Error;
        }
        var sf = view.Struct.Fields.FirstOrDefault(f => f.Name == m.Member);
        if (sf is null)
        {
            Report(m.MemberLocation, DiagnosticCodes.UnknownField, $"struct '{view.Struct.Name}' has no field '{m.Member}'");
            return ExprType.Error;
        }
        return Resolved(m, new Resolution(ResolutionKind.ViewField, Name: view.Name, Struct: view.Struct, StructField: sf, Let: view.Let), ExprType.Int);
    }

    private ExprType BindIndex(IndexExpr ix, Scope scope)
    {
        if (ix.Target is NameExpr n && !scope.Locals.ContainsKey(n.Name))
        {
            if (_registers.TryGetValue(n.Name, out var reg))
            {
                Number(ix.Index, scope);
                if (reg.Array is null)
                {
                    Report(ix.Location, DiagnosticCodes.NotIndexable, $"register '{reg.Name}' is not in an array");
                    return ExprType.Error;
                }
                return Resolved(ix, new Resolution(ResolutionKind.Register, Register: reg, Index: ix.Index), ExprType.Int);
            }
            if (_vars.TryGetValue(n.Name, out var v))
            {
                Number(ix.Index, scope);
                if (v.Count == 0)
                {
                    Report(ix.Location, DiagnosticCodes.NotIndexable, $"variable '{v.Name}' is a scalar");
                    return ExprType.Error;
                }
                return Resolved(ix, new Resolution(ResolutionKind.Var, Var: v, Index: ix.Index), ExprType.Int);
            }
        }
        Bind(ix.Target, scope);
        Number(ix.Index, scope);
        Report(ix.Location, DiagnosticCodes.NotIndexable, "only register arrays and array variables take an index");
        return ExprType.Error;
    }
}

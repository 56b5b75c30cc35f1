using BareMetal.MediatorModel.Spec.Ast;
using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Syntax;

/// <summary>
/// Pass 2: tokens to the syntax tree (recursive descent, grammar in the README). A syntax error is
/// reported once, then the parser skips to the end of the enclosing item, statement or field and goes
/// on, so one run shows many errors. Nesting (blocks and expressions) is capped at <see cref="MaxDepth"/>.
/// </summary>
public sealed class Parser
{
    /// <summary>Deep enough for any real spec; shallow enough that recursion cannot exhaust the stack.</summary>
    public const int MaxDepth = 64;

    private static readonly string[][] BinaryLevels =
    [
        // Lowest to highest. Bitwise operators bind tighter than comparisons (as in Rust), so that
        // `PxIS & PxIE != 0` means what a register-map author means.
        ["||"], ["&&"], ["==", "!=", "<", "<=", ">", ">="], ["|"], ["^"], ["&"], ["<<", ">>"], ["+", "-"], ["*", "/", "%"],
    ];

    private static readonly HashSet<string> AssignOps = ["=", "|=", "&=", "^=", "+=", "-="];

    private readonly IReadOnlyList<Token> _tokens;
    private readonly DiagnosticBag _diagnostics;
    private int _pos;
    private int _depth;

    private Parser(IReadOnlyList<Token> tokens, DiagnosticBag diagnostics)
    {
        _tokens = tokens;
        _diagnostics = diagnostics;
    }

    /// <summary>Thrown after a syntax error has been reported; caught by the nearest recovery point.</summary>
    private sealed class SyntaxError : Exception;

    public static DeviceDecl? Parse(IReadOnlyList<Token> tokens, DiagnosticBag diagnostics) =>
        new Parser(tokens, diagnostics).ParseFile();

    private Token Current => _tokens[_pos];

    private Token PeekAt(int n) => _tokens[Math.Min(_pos + n, _tokens.Count - 1)];

    private Token Advance()
    {
        var t = _tokens[_pos];
        if (_pos < _tokens.Count - 1)
        {
            _pos++;
        }
        return t;
    }

    private bool Accept(string text)
    {
        if (Current.Is(text))
        {
            Advance();
            return true;
        }
        return false;
    }

    private Exception Error(string message) => Error(Current.Location, message);

    private SyntaxError Error(SourceLocation at, string message)
    {
        _diagnostics.Report(at, DiagnosticCodes.Syntax, message);
        return new SyntaxError();
    }

    private Token Expect(string text, string context)
    {
        if (!Current.Is(text))
        {
            throw Error($"expected '{text}' {context} but found {Current.Describe()}");
        }
        return Advance();
    }

    private Name ExpectName(string what)
    {
        if (Current.Kind != TokenKind.Identifier)
        {
            throw Error($"expected {what} but found {Current.Describe()}");
        }
        var t = Advance();
        return new Name(t.Text, t.Location);
    }

    private Token ExpectInteger(string what)
    {
        if (Current.Kind != TokenKind.Integer)
        {
            throw Error($"expected {what} but found {Current.Describe()}");
        }
        return Advance();
    }

    private string? OptionalDoc() => Current.Kind == TokenKind.String ? Advance().Text : null;

    private void Enter()
    {
        if (++_depth > MaxDepth)
        {
            _depth = 0;
            _diagnostics.Report(Current.Location, DiagnosticCodes.NestingTooDeep, $"nesting deeper than {MaxDepth} levels");
            throw new SyntaxError();
        }
    }

    private void Leave() => _depth = Math.Max(0, _depth - 1);

    /// <summary>Skips to just after the next ';' or balanced '}' of this level; stops before a '}' that closes the enclosing block.</summary>
    private void Recover(int startPos)
    {
        var depth = 0;
        while (Current.Kind != TokenKind.EndOfFile)
        {
            if (Current.Is("{"))
            {
                depth++;
            }
            else if (Current.Is("}"))
            {
                if (depth == 0)
                {
                    if (_pos == startPos)
                    {
                        Advance();
                    }
                    return;
                }
                depth--;
                Advance();
                if (depth == 0)
                {
                    return;
                }
                continue;
            }
            else if (Current.Is(";") && depth == 0)
            {
                Advance();
                return;
            }
            Advance();
        }
    }

    /// <summary>Parses items until '}' (or end of file), recovering after each bad one.</summary>
    private List<T> Block<T>(Func<T?> item) where T : class
    {
        var list = new List<T>();
        Enter();
        try
        {
            while (!Current.Is("}") && Current.Kind != TokenKind.EndOfFile && !_diagnostics.IsFull)
            {
                var start = _pos;
                var saved = _depth;
                try
                {
                    var parsed = item();
                    if (parsed is not null)
                    {
                        list.Add(parsed);
                    }
                }
                catch (SyntaxError)
                {
                    _depth = saved;
                    Recover(start);
                }
                if (_pos == start && !Current.Is("}"))
                {
                    Advance();
                }
            }
        }
        finally
        {
            Leave();
        }
        return list;
    }

    private void CloseBlock(string context)
    {
        if (_diagnostics.IsFull)
        {
            throw new SyntaxError();
        }
        Expect("}", context);
    }

    private DeviceDecl? ParseFile()
    {
        if (_diagnostics.IsFull)
        {
            return null;
        }
        try
        {
            if (!Current.Is("device"))
            {
                _diagnostics.Report(Current.Location, DiagnosticCodes.MissingDevice, $"a spec starts with 'device NAME {{' but found {Current.Describe()}");
                return null;
            }
            var loc = Advance().Location;
            var name = ExpectName("the device name");
            var doc = OptionalDoc();
            Expect("{", "to open the device");
            var items = Block(ParseItem);
            CloseBlock("to close the device");
            if (Current.Kind != TokenKind.EndOfFile)
            {
                _diagnostics.Report(Current.Location, DiagnosticCodes.Syntax, $"expected end of file after the device but found {Current.Describe()}");
            }
            return new DeviceDecl(loc, name.Text, doc, items);
        }
        catch (SyntaxError)
        {
            return null;
        }
    }

    private object? ParseItem()
    {
        var t = Current;
        if (t.Kind != TokenKind.Identifier)
        {
            throw Error($"expected a declaration (reg, array, struct, var, decode, doorbell, on, machine, safepoint, interrupt, mediate) but found {t.Describe()}");
        }
        switch (t.Text)
        {
            case "reg":
                return ParseRegister();
            case "array":
                return ParseArray();
            case "struct":
                return ParseStruct();
            case "var":
                return ParseVar();
            case "decode":
                return ParseDecode();
            case "doorbell":
                return ParseDoorbell();
            case "on":
                return ParseHook();
            case "machine":
                return ParseMachine();
            case "safepoint":
                {
                    Advance();
                    var e = ParseExpr();
                    Expect(";", "after the safe-point condition");
                    return new SafePointDecl(t.Location, e);
                }
            case "interrupt":
                {
                    Advance();
                    Expect("when", "after 'interrupt'");
                    var e = ParseExpr();
                    Expect(";", "after the interrupt condition");
                    return new InterruptDecl(t.Location, e);
                }
            case "mediate":
                {
                    Advance();
                    Expect("{", "to open the mediation points");
                    var points = Block(ParseMediation);
                    CloseBlock("to close the mediation points");
                    return points;
                }
            default:
                throw Error($"expected a declaration (reg, array, struct, var, decode, doorbell, on, machine, safepoint, interrupt, mediate) but found {t.Describe()}");
        }
    }

    private RegisterDecl ParseRegister()
    {
        var loc = Advance().Location;
        var name = ExpectName("the register name");
        Expect("@", "before the register offset");
        var offset = ExpectInteger("the register offset");
        Expect(":", "before the register width");
        var width = ExpectInteger("the register width in bits");
        var access = ExpectName("an access kind (rw, ro, wo, w1c, w1s, rc)");
        ulong reset = 0;
        var resetLoc = loc;
        if (Current.Is("reset"))
        {
            Advance();
            var r = ExpectInteger("the reset value");
            reset = r.Value;
            resetLoc = r.Location;
        }
        var doc = OptionalDoc();
        IReadOnlyList<FieldDecl> fields = [];
        if (Accept("{"))
        {
            fields = Block(ParseField);
            CloseBlock("to close the register's fields");
        }
        else
        {
            Expect(";", "after the register");
        }
        return new RegisterDecl(loc, name.Text, offset.Value, offset.Location, width.Value, width.Location, access, reset, resetLoc, doc, fields);
    }

    private FieldDecl ParseField()
    {
        var name = ExpectName("a field name");
        var (hi, lo) = ParseBitRange();
        Name? access = Current.Kind == TokenKind.Identifier ? ExpectName("an access kind") : null;
        var doc = OptionalDoc();
        Expect(";", "after the field");
        return new FieldDecl(name.Location, name.Text, hi, lo, access, doc);
    }

    private (ulong Hi, ulong Lo) ParseBitRange()
    {
        Expect("[", "to open the bit range");
        var hi = ExpectInteger("a bit number").Value;
        var lo = hi;
        if (Accept(":"))
        {
            lo = ExpectInteger("the low bit number").Value;
        }
        Expect("]", "to close the bit range");
        return (hi, lo);
    }

    private ArrayDecl ParseArray()
    {
        var loc = Advance().Location;
        var name = ExpectName("the array name");
        Expect("[", "before the instance count");
        var count = ExpectInteger("the instance count");
        Expect("]", "after the instance count");
        Expect("@", "before the array base offset");
        var baseOffset = ExpectInteger("the array base offset");
        Expect("stride", "after the base offset");
        var stride = ExpectInteger("the stride between instances");
        var doc = OptionalDoc();
        Expect("{", "to open the array's registers");
        var regs = Block(() =>
        {
            if (!Current.Is("reg"))
            {
                throw Error($"expected 'reg' inside an array but found {Current.Describe()}");
            }
            return ParseRegister();
        });
        CloseBlock("to close the array");
        return new ArrayDecl(loc, name.Text, count.Value, count.Location, baseOffset.Value, stride.Value, stride.Location, doc, regs);
    }

    private StructDecl ParseStruct()
    {
        var loc = Advance().Location;
        var name = ExpectName("the struct name");
        Expect("size", "after the struct name");
        var size = ExpectInteger("the struct size in bytes");
        var big = false;
        if (Accept("big"))
        {
            big = true;
        }
        else
        {
            Accept("little");
        }
        var doc = OptionalDoc();
        Expect("{", "to open the struct's fields");
        var fields = Block(() =>
        {
            var f = ExpectName("a struct field name");
            Expect("@", "before the field's byte offset");
            var off = ExpectInteger("the field's byte offset");
            Expect(":", "before the field's type");
            var type = ExpectName("a type (u8, u16, u32, u64)");
            ulong? hi = null, lo = null;
            if (Current.Is("["))
            {
                var (h, l) = ParseBitRange();
                hi = h;
                lo = l;
            }
            var fdoc = OptionalDoc();
            Expect(";", "after the struct field");
            return new StructFieldDecl(f.Location, f.Text, off.Value, type, hi, lo, fdoc);
        });
        CloseBlock("to close the struct");
        return new StructDecl(loc, name.Text, size.Value, big, doc, fields);
    }

    private VarDecl ParseVar()
    {
        var loc = Advance().Location;
        var name = ExpectName("the variable name");
        Expect(":", "before the variable's type");
        var type = ExpectName("a type (u8, u16, u32, u64)");
        ulong count = 0;
        var countLoc = loc;
        if (Accept("["))
        {
            var c = ExpectInteger("the element count");
            count = c.Value;
            countLoc = c.Location;
            Expect("]", "after the element count");
        }
        ulong reset = 0;
        if (Accept("reset"))
        {
            reset = ExpectInteger("the reset value").Value;
        }
        var doc = OptionalDoc();
        Expect(";", "after the variable");
        return new VarDecl(loc, name.Text, type, count, countLoc, reset, doc);
    }

    private DecodeDecl ParseDecode()
    {
        var loc = Advance().Location;
        var name = ExpectName("the decode table name");
        Name? structName = null;
        if (Accept(":"))
        {
            structName = ExpectName("the struct the table decodes");
        }
        Expect("by", "before the opcode field");
        var selector = ExpectName("the opcode field or register");
        Expr? when = null;
        if (Accept("when"))
        {
            when = ParseExpr();
        }
        var doc = OptionalDoc();
        Expect("{", "to open the decode table");
        var lets = new List<LetStmt>();
        var cases = Block<DecodeCase>(() =>
        {
            if (Current.Is("let"))
            {
                lets.Add(ParseLet());
                return null;
            }
            return ParseCase();
        });
        CloseBlock("to close the decode table");
        return new DecodeDecl(loc, name.Text, structName, selector, when, lets, cases, doc);
    }

    private DecodeCase ParseCase()
    {
        var loc = Current.Location;
        var isDefault = false;
        ulong opcode = 0;
        string caseName;
        if (Current.Is("default"))
        {
            Advance();
            isDefault = true;
            caseName = "UNKNOWN";
        }
        else
        {
            opcode = ExpectInteger("an opcode, 'let' or 'default'").Value;
            caseName = ExpectName("the command's name").Text;
        }
        Expect("->", "before the command kind");
        var kind = ExpectName("a command kind (read, write, flush, identify, other)");
        Expr? lba = null, count = null, tag = null;
        var queued = false;
        while (Accept(","))
        {
            {
                var attr = ExpectName("lba, count, tag or queued");
                switch (attr.Text)
                {
                    case "queued":
                        queued = true;
                        break;
                    case "lba":
                        Expect("=", "after 'lba'");
                        lba = ParseExpr();
                        break;
                    case "count":
                        Expect("=", "after 'count'");
                        count = ParseExpr();
                        break;
                    case "tag":
                        Expect("=", "after 'tag'");
                        tag = ParseExpr();
                        break;
                    default:
                        throw Error(attr.Location, $"expected lba, count, tag or queued but found '{attr.Text}'");
                }
            }
        }
        IReadOnlyList<Stmt> actions = [];
        if (Current.Is("{"))
        {
            actions = ParseStatementBlock();
        }
        else
        {
            Expect(";", "after the command");
        }
        return new DecodeCase(loc, isDefault, opcode, caseName, kind, lba, count, tag, queued, actions);
    }

    private DoorbellDecl ParseDoorbell()
    {
        var loc = Advance().Location;
        var name = ExpectName("the doorbell name");
        Expect("on", "before the doorbell register");
        var reg = ExpectName("the doorbell register");
        var mode = ExpectName("a doorbell mode (bits, ring, write)");
        Name? ringVar = null;
        Expr? ringSize = null;
        if (mode.Text == "ring")
        {
            ringVar = ExpectName("the variable that holds the last tail seen");
            Expect("size", "after the ring's variable");
            ringSize = ParseExpr();
        }
        var doc = OptionalDoc();
        Expect("{", "to open the doorbell");
        var inCompletion = false;
        var body = new List<Stmt>();
        var completion = new List<Stmt>();
        Enter();
        try
        {
            while (!Current.Is("}") && Current.Kind != TokenKind.EndOfFile && !_diagnostics.IsFull)
            {
                if (Current.Is("complete") && PeekAt(1).Is(":"))
                {
                    if (inCompletion)
                    {
                        _diagnostics.Report(Current.Location, DiagnosticCodes.DuplicateSection, "a doorbell has one 'complete:' section");
                    }
                    Advance();
                    Advance();
                    inCompletion = true;
                    continue;
                }
                var s = ParseStatementRecovering();
                if (s is not null)
                {
                    (inCompletion ? completion : body).Add(s);
                }
            }
        }
        finally
        {
            Leave();
        }
        CloseBlock("to close the doorbell");
        return new DoorbellDecl(loc, name.Text, reg, mode, ringVar, ringSize, body, completion, doc);
    }

    private HookDecl ParseHook()
    {
        var loc = Advance().Location;
        var ev = ExpectName("'read' or 'write'");
        var reg = ExpectName("the register");
        var body = ParseStatementBlock();
        return new HookDecl(loc, ev, reg, body);
    }

    private MachineDecl ParseMachine()
    {
        var loc = Advance().Location;
        var name = ExpectName("the machine name");
        Name? per = null;
        if (Accept("per"))
        {
            per = ExpectName("the register array the machine runs per instance of");
        }
        var doc = OptionalDoc();
        Expect("{", "to open the machine");
        Name? initial = null;
        var states = new List<StateDecl>();
        var transitions = new List<TransitionDecl>();
        Block<object>(() =>
        {
            if (Current.Is("initial") && PeekAt(1).Kind == TokenKind.Identifier)
            {
                var l = Advance().Location;
                var n = ExpectName("the initial state");
                if (initial is not null)
                {
                    _diagnostics.Report(l, DiagnosticCodes.DuplicateSection, "the machine already has an initial state");
                }
                initial ??= n;
                Expect(";", "after the initial state");
                return null;
            }
            if (Current.Is("state") && PeekAt(1).Kind == TokenKind.Identifier)
            {
                Advance();
                var n = ExpectName("the state name");
                var sdoc = OptionalDoc();
                Expect(";", "after the state");
                states.Add(new StateDecl(n.Location, n.Text, sdoc));
                return null;
            }
            transitions.Add(ParseTransition());
            return null;
        });
        CloseBlock("to close the machine");
        return new MachineDecl(loc, name.Text, per, initial, states, transitions, doc);
    }

    private TransitionDecl ParseTransition()
    {
        Name from;
        if (Current.Is("*"))
        {
            var star = Advance();
            from = new Name("*", star.Location);
        }
        else
        {
            from = ExpectName("'initial', 'state' or a transition 'FROM -> TO'");
        }
        Expect("->", "between the transition's states");
        var to = ExpectName("the target state");
        TriggerDecl? trigger = null;
        if (Current.Is("on"))
        {
            var l = Advance().Location;
            var kind = ExpectName("a trigger (write, read, doorbell, complete)");
            var target = ExpectName("the trigger's register or doorbell");
            trigger = new TriggerDecl(l, kind, target);
        }
        Expr? guard = null;
        if (Accept("when"))
        {
            guard = ParseExpr();
        }
        IReadOnlyList<Stmt> actions = [];
        if (Current.Is("{"))
        {
            actions = ParseStatementBlock();
        }
        else
        {
            Expect(";", "after the transition");
        }
        return new TransitionDecl(from.Location, from, to, trigger, guard, actions);
    }

    private MediationDecl ParseMediation()
    {
        var point = ExpectName("interpret, redirect, multiplex or devirtualize");
        var names = new List<Name>();
        Expr? when = null;
        switch (point.Text)
        {
            case "interpret":
            case "redirect":
                do
                {
                    names.Add(ExpectName(point.Text == "interpret" ? "a doorbell name" : "a command kind"));
                }
                while (Accept(","));
                break;
            case "multiplex":
            case "devirtualize":
                Expect("when", $"after '{point.Text}'");
                when = ParseExpr();
                break;
            default:
                throw Error(point.Location, $"expected interpret, redirect, multiplex or devirtualize but found '{point.Text}'");
        }
        Expect(";", "after the mediation point");
        return new MediationDecl(point.Location, point, names, when);
    }

    private List<Stmt> ParseStatementBlock()
    {
        Expect("{", "to open the block");
        var list = Block(ParseStatement);
        CloseBlock("to close the block");
        return list;
    }

    private Stmt? ParseStatementRecovering()
    {
        var start = _pos;
        var saved = _depth;
        try
        {
            return ParseStatement();
        }
        catch (SyntaxError)
        {
            _depth = saved;
            Recover(start);
            if (_pos == start && !Current.Is("}"))
            {
                Advance();
            }
            return null;
        }
    }

    private LetStmt ParseLet()
    {
        var loc = Advance().Location;
        var name = ExpectName("the name being defined");
        Expect("=", "after the name");
        string? structName = null;
        var structLoc = loc;
        if (Current.Kind == TokenKind.Identifier && PeekAt(1).Is("at"))
        {
            var s = Advance();
            structName = s.Text;
            structLoc = s.Location;
            Advance();
        }
        var value = ParseExpr();
        Expect(";", "after the definition");
        return new LetStmt(loc, name.Text, structName, structLoc, value);
    }

    private Stmt ParseStatement()
    {
        var t = Current;
        if (t.Is("let"))
        {
            return ParseLet();
        }
        if (t.Is("if"))
        {
            return ParseIf();
        }
        if (t.Is("decode") && PeekAt(1).Kind == TokenKind.Identifier)
        {
            Advance();
            var table = ExpectName("the decode table");
            string? view = null;
            var viewLoc = table.Location;
            if (Accept("("))
            {
                var v = ExpectName("the memory view to decode");
                view = v.Text;
                viewLoc = v.Location;
                Expect(")", "after the view");
            }
            Expect(";", "after the decode statement");
            return new DecodeStmt(t.Location, table.Text, view, viewLoc);
        }
        var target = ParseExpr();
        if (!AssignOps.Contains(Current.Text) || Current.Kind != TokenKind.Punctuation)
        {
            throw Error($"expected an assignment (=, |=, &=, ^=, +=, -=) but found {Current.Describe()}");
        }
        var op = Advance().Text;
        var value = ParseExpr();
        Expect(";", "after the assignment");
        return new AssignStmt(t.Location, target, op, value);
    }

    private IfStmt ParseIf()
    {
        var loc = Advance().Location;
        Enter();
        try
        {
            var cond = ParseExpr();
            var then = ParseStatementBlock();
            IReadOnlyList<Stmt> otherwise = [];
            if (Accept("else"))
            {
                otherwise = Current.Is("if") ? [ParseIf()] : ParseStatementBlock();
            }
            return new IfStmt(loc, cond, then, otherwise);
        }
        finally
        {
            Leave();
        }
    }

    public Expr ParseExpr()
    {
        Enter();
        try
        {
            var cond = ParseBinary(0);
            if (Current.Is("?"))
            {
                var q = Advance();
                var a = ParseExpr();
                Expect(":", "in the conditional expression");
                var b = ParseExpr();
                return new ConditionalExpr(q.Location, cond, a, b);
            }
            return cond;
        }
        finally
        {
            Leave();
        }
    }

    private Expr ParseBinary(int level)
    {
        if (level == BinaryLevels.Length)
        {
            return ParseUnary();
        }
        var left = ParseBinary(level + 1);
        while (Current.Kind == TokenKind.Punctuation && Array.IndexOf(BinaryLevels[level], Current.Text) >= 0)
        {
            var op = Advance();
            var right = ParseBinary(level + 1);
            left = new BinaryExpr(op.Location, op.Text, left, right);
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (Current.Kind == TokenKind.Punctuation && Current.Text is "!" or "~" or "-")
        {
            var op = Advance();
            Enter();
            try
            {
                return new UnaryExpr(op.Location, op.Text, ParseUnary());
            }
            finally
            {
                Leave();
            }
        }
        return ParsePostfix();
    }

    private Expr ParsePostfix()
    {
        var e = ParsePrimary();
        var chain = 0;
        while (true)
        {
            if (Current.Is("."))
            {
                Advance();
                var m = ExpectName("a field name");
                e = new MemberExpr(e.Location, e, m.Text, m.Location);
            }
            else if (Current.Is("["))
            {
                Advance();
                var index = ParseExpr();
                Expect("]", "after the index");
                e = new IndexExpr(e.Location, e, index);
            }
            else
            {
                return e;
            }
            if (++chain > MaxDepth)
            {
                throw Error($"nesting deeper than {MaxDepth} levels");
            }
        }
    }

    private Expr ParsePrimary()
    {
        var t = Current;
        switch (t.Kind)
        {
            case TokenKind.Integer:
                Advance();
                return new IntLiteral(t.Location, t.Value, t.Text);
            case TokenKind.Identifier:
                Advance();
                return new NameExpr(t.Location, t.Text);
            case TokenKind.Punctuation when t.Text == "(":
                {
                    Advance();
                    var e = ParseExpr();
                    Expect(")", "to close the parenthesis");
                    return e;
                }
            default:
                throw Error($"expected an expression but found {t.Describe()}");
        }
    }
}

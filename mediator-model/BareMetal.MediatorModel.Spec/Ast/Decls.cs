using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Ast;

// Declarations: plain data records, produced by the parser and read by the binder and emitters.

/// <summary>A name with where it was written, for diagnostics that point at a reference.</summary>
public readonly record struct Name(string Text, SourceLocation Location);

public sealed record DeviceDecl(SourceLocation Location, string Name, string? Doc, IReadOnlyList<object> Items);

public sealed record RegisterDecl(
    SourceLocation Location, string Name, ulong Offset, SourceLocation OffsetLocation, ulong Width, SourceLocation WidthLocation,
    Name Access, ulong Reset, SourceLocation ResetLocation, string? Doc, IReadOnlyList<FieldDecl> Fields);

public sealed record FieldDecl(SourceLocation Location, string Name, ulong Hi, ulong Lo, Name? Access, string? Doc);

public sealed record ArrayDecl(
    SourceLocation Location, string Name, ulong Count, SourceLocation CountLocation, ulong Base, ulong Stride, SourceLocation StrideLocation,
    string? Doc, IReadOnlyList<RegisterDecl> Registers);

public sealed record StructDecl(SourceLocation Location, string Name, ulong Size, bool BigEndian, string? Doc, IReadOnlyList<StructFieldDecl> Fields);

public sealed record StructFieldDecl(SourceLocation Location, string Name, ulong Offset, Name Type, ulong? Hi, ulong? Lo, string? Doc);

public sealed record VarDecl(SourceLocation Location, string Name, Name Type, ulong Count, SourceLocation CountLocation, ulong Reset, string? Doc);

public sealed record DecodeDecl(
    SourceLocation Location, string Name, Name? Struct, Name Selector, Expr? When, IReadOnlyList<LetStmt> Lets,
    IReadOnlyList<DecodeCase> Cases, string? Doc);

/// <summary>One opcode line; <see cref="IsDefault"/> for the <c>default</c> line (Opcode unused).</summary>
public sealed record DecodeCase(
    SourceLocation Location, bool IsDefault, ulong Opcode, string Name, Name Kind,
    Expr? Lba, Expr? Count, Expr? Tag, bool Queued, IReadOnlyList<Stmt> Actions);

/// <summary>Mode is bits (each newly set bit is a command slot), ring (a tail index into a queue) or write (each write is a command).</summary>
public sealed record DoorbellDecl(
    SourceLocation Location, string Name, Name Register, Name Mode, Name? RingVar, Expr? RingSize,
    IReadOnlyList<Stmt> Body, IReadOnlyList<Stmt> Completion, string? Doc);

public sealed record HookDecl(SourceLocation Location, Name Event, Name Register, IReadOnlyList<Stmt> Body);

public sealed record MachineDecl(
    SourceLocation Location, string Name, Name? PerArray, Name? Initial, IReadOnlyList<StateDecl> States,
    IReadOnlyList<TransitionDecl> Transitions, string? Doc);

public sealed record StateDecl(SourceLocation Location, string Name, string? Doc);

/// <summary>Trigger kinds: write REG, read REG, doorbell NAME, complete NAME. <see cref="Trigger"/> is null when omitted.</summary>
public sealed record TriggerDecl(SourceLocation Location, Name Kind, Name Target);

/// <summary><see cref="From"/> is "*" for any state.</summary>
public sealed record TransitionDecl(
    SourceLocation Location, Name From, Name To, TriggerDecl? Trigger, Expr? Guard, IReadOnlyList<Stmt> Actions);

public sealed record SafePointDecl(SourceLocation Location, Expr Condition);

public sealed record InterruptDecl(SourceLocation Location, Expr Condition);

/// <summary>interpret DOORBELL... | redirect KIND... | multiplex when EXPR | devirtualize when EXPR.</summary>
public sealed record MediationDecl(SourceLocation Location, Name Point, IReadOnlyList<Name> Names, Expr? When);

namespace BareMetal.MediatorModel.Spec.Runtime;

/// <summary>Scratch filled by a generated decode table while a doorbell is processed.</summary>
public sealed class DecodeResult
{
    public string Table { get; set; } = "";
    public string Name { get; set; } = "NONE";
    public CommandKind Kind { get; set; } = CommandKind.Other;
    public ulong Opcode { get; set; }
    public ulong Lba { get; set; }
    public ulong Count { get; set; }
    public ulong Tag { get; set; }
    public bool Queued { get; set; }
}

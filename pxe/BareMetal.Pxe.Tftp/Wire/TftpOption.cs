namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>One RFC 2347 option pair; names compare case-insensitively, values are ASCII decimals for every option we know.</summary>
public readonly record struct TftpOption(string Name, string Value)
{
    public bool Is(string name) => string.Equals(Name, name, StringComparison.OrdinalIgnoreCase);
}

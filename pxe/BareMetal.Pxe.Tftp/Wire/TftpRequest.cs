namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>RRQ or WRQ: opcode | filename NUL | mode NUL | (option NUL value NUL)*.</summary>
public readonly record struct TftpRequest(TftpOpcode Opcode, string Filename, TftpMode Mode, IReadOnlyList<TftpOption> Options)
{
    public bool IsRead => Opcode == TftpOpcode.ReadRequest;

    /// <summary>The value of option <paramref name="name"/>, or null when the client did not send it.</summary>
    public string? Option(string name)
    {
        foreach (var o in Options)
        {
            if (o.Is(name))
            {
                return o.Value;
            }
        }
        return null;
    }
}

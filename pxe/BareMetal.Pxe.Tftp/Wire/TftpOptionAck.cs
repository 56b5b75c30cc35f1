namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>OACK: opcode 6 | (option NUL value NUL)*: the options the server accepted, with the values it chose.</summary>
public readonly record struct TftpOptionAck(IReadOnlyList<TftpOption> Options);

namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>ERROR: opcode 5 | code (u16) | message NUL.</summary>
public readonly record struct TftpError(TftpErrorCode Code, string Message);

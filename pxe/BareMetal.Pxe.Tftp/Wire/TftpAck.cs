namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>ACK: opcode 4 | block (u16). Block 0 acknowledges an OACK (RFC 2347).</summary>
public readonly record struct TftpAck(ushort Block);

namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>DATA: opcode 3 | block (u16) | 0..blksize bytes. A payload shorter than blksize ends the transfer.</summary>
public readonly record struct TftpData(ushort Block, ReadOnlyMemory<byte> Payload);

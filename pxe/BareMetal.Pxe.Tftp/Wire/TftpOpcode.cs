namespace BareMetal.Pxe.Tftp.Wire;

/// <summary>The first two bytes (big-endian) of every TFTP packet.</summary>
public enum TftpOpcode : ushort
{
    /// <summary>Read request (RFC 1350).</summary>
    ReadRequest = 1,
    /// <summary>Write request (RFC 1350); we refuse these.</summary>
    WriteRequest = 2,
    /// <summary>Data block (RFC 1350).</summary>
    Data = 3,
    /// <summary>Acknowledgement (RFC 1350).</summary>
    Ack = 4,
    /// <summary>Error (RFC 1350); never acknowledged, ends the transfer.</summary>
    Error = 5,
    /// <summary>Option acknowledgement (RFC 2347).</summary>
    OptionAck = 6,
}

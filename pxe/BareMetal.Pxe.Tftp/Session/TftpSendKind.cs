namespace BareMetal.Pxe.Tftp.Session;

public enum TftpSendKind
{
    /// <summary>Nothing to send (duplicate ACK, ignored packet, timer not due, transfer over).</summary>
    None,
    OptionAck,
    /// <summary><see cref="TftpSend.Count"/> DATA packets from block <see cref="TftpSend.FirstBlock"/>.</summary>
    Data,
    Error,
}

namespace BareMetal.Pxe.Tftp.Session;

public enum TftpSessionState
{
    /// <summary>Constructed; <see cref="TftpReadSession.Start"/> not called yet.</summary>
    Created,
    /// <summary>OACK sent; waiting for ACK 0 (RFC 2347).</summary>
    AwaitingOptionAck,
    /// <summary>Sending data windows.</summary>
    Transferring,
    /// <summary>The last block was acknowledged.</summary>
    Completed,
    /// <summary>The client declined the OACK with an ERROR: a PXE ROM's normal tsize probe, not a failure.</summary>
    Aborted,
    /// <summary>Refused, timed out, or ended by an ERROR from the client mid-transfer.</summary>
    Failed,
}

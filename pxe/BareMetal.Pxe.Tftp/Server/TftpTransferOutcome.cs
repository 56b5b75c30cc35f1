namespace BareMetal.Pxe.Tftp.Server;

public enum TftpTransferOutcome
{
    /// <summary>Still running (only in <see cref="TftpServer.TransferStarted"/>).</summary>
    Running,
    Completed,
    /// <summary>The client declined the OACK (the PXE tsize probe): expected, not an error.</summary>
    Aborted,
    /// <summary>Refused (missing file, jail, write), timed out, or ended by the client mid-transfer.</summary>
    Failed,
}

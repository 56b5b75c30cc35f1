namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>
/// The policy of the TFTP server: which bytes a requested path maps to, if any. Called once per
/// request, on the receive path, so it must be quick (no network round trips).
/// </summary>
public interface ITftpFileProvider
{
    TftpOpenResult Open(TftpFileRequest request);
}

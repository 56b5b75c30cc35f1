using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tftp.Session;

/// <summary>
/// What a session wants sent: no bytes, only a description, so the shell renders each packet with
/// <see cref="TftpReadSession.Render"/> straight into its one pooled buffer.
/// </summary>
/// <param name="FirstBlock">Absolute block number (1-based, never wrapped) of the first DATA packet.</param>
public readonly record struct TftpSend(TftpSendKind Kind, long FirstBlock, int Count, TftpErrorCode ErrorCode, string? ErrorMessage)
{
    public static TftpSend None => default;

    public static TftpSend Data(long firstBlock, int count) => new(TftpSendKind.Data, firstBlock, count, default, null);

    public static TftpSend OptionAck => new(TftpSendKind.OptionAck, 0, 1, default, null);

    public static TftpSend Error(TftpErrorCode code, string message) => new(TftpSendKind.Error, 0, 1, code, message);
}

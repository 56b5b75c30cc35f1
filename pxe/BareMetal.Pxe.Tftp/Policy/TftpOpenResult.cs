using BareMetal.Pxe.Tftp.Wire;

namespace BareMetal.Pxe.Tftp.Policy;

/// <summary>Either the content to serve or the TFTP error the client gets.</summary>
public readonly record struct TftpOpenResult(ITftpContent? Content, TftpErrorCode Error, string Message)
{
    public bool Found => Content is not null;

    public static TftpOpenResult Of(ITftpContent content) => new(content, TftpErrorCode.NotDefined, "");

    public static TftpOpenResult NotFound(string message = "File not found") => new(null, TftpErrorCode.FileNotFound, message);

    public static TftpOpenResult Denied(string message) => new(null, TftpErrorCode.AccessViolation, message);

    /// <summary>True for "not mine, ask the next provider": only a plain not-found falls through a composite.</summary>
    public bool IsNotFound => Content is null && Error == TftpErrorCode.FileNotFound;
}

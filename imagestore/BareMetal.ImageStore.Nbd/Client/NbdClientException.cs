namespace BareMetal.ImageStore.Nbd.Client;

/// <summary>An NBD client operation failed; <see cref="Error"/> says how, <see cref="ErrorNumber"/>
/// carries the server's errno for <see cref="NbdClientError.ServerError"/>.</summary>
public sealed class NbdClientException : Exception
{
    public NbdClientException(NbdClientError error, string message, uint errorNumber = 0, Exception? inner = null)
        : base(message, inner)
    {
        Error = error;
        ErrorNumber = errorNumber;
    }

    public NbdClientException()
        : this(NbdClientError.Protocol, "NBD client error")
    {
    }

    public NbdClientException(string message)
        : this(NbdClientError.Protocol, message)
    {
    }

    public NbdClientException(string message, Exception inner)
        : this(NbdClientError.Protocol, message, 0, inner)
    {
    }

    public NbdClientError Error { get; }

    /// <summary>The NBD error value (EIO = 5, EINVAL = 22, ...), or 0.</summary>
    public uint ErrorNumber { get; }

    /// <summary>Name of an NBD error value, for messages.</summary>
    public static string ErrnoName(uint errno) => errno switch
    {
        1 => "EPERM",
        5 => "EIO",
        12 => "ENOMEM",
        22 => "EINVAL",
        28 => "ENOSPC",
        75 => "EOVERFLOW",
        95 => "ENOTSUP",
        108 => "ESHUTDOWN",
        _ => $"error {errno}",
    };
}

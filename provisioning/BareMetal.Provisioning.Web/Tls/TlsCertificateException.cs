namespace BareMetal.Provisioning.Web.Tls;

/// <summary>
/// The HTTPS certificate cannot be used: unreadable, not PEM, a key that does not match, expired. The
/// message is one line naming the file and the flag, for `serve` to print before anything listens.
/// </summary>
public sealed class TlsCertificateException : Exception
{
    public TlsCertificateException()
    {
    }

    public TlsCertificateException(string message)
        : base(message)
    {
    }

    public TlsCertificateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

namespace BareMetal.Provisioning.Power.Secrets;

/// <summary>A protected value that cannot be opened: tampered with, sealed under another key, or of an unknown envelope version.</summary>
public sealed class CredentialProtectionException : Exception
{
    public CredentialProtectionException()
    {
    }

    public CredentialProtectionException(string message)
        : base(message)
    {
    }

    public CredentialProtectionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

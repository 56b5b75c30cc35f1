using System.Globalization;
using System.Text;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// A datagram that is not an RMCP/IPMI message we accept. The session drops it (a stray or forged
/// datagram must not end a session); the client turns a persistent one into a ProtocolError.
/// </summary>
public sealed class IpmiProtocolException : Exception
{
    public IpmiProtocolException()
    {
    }

    public IpmiProtocolException(string message)
        : base(message)
    {
    }

    public IpmiProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public IpmiProtocolException(IpmiProtocolError error, string message)
        : base($"{error}: {message}")
    {
        Error = error;
    }

    public IpmiProtocolError Error { get; }

    /// <summary>
    /// The offending bytes shown in hex, at most 16: the RMCP and session headers identify a datagram,
    /// while anything further may be a RAKP key exchange code or an AuthCode, which stay out of logs.
    /// </summary>
    internal static IpmiProtocolException Create(IpmiProtocolError error, string what, ReadOnlySpan<byte> bytes) =>
        new(error, $"{what} (length {bytes.Length.ToString(CultureInfo.InvariantCulture)}, bytes: {Hex(bytes)})");

    internal static string Hex(ReadOnlySpan<byte> bytes, int maxShown = 16)
    {
        var sb = new StringBuilder(Convert.ToHexString(bytes[..Math.Min(bytes.Length, maxShown)]).ToLowerInvariant());
        if (bytes.Length > maxShown)
        {
            sb.Append("...");
        }
        return sb.ToString();
    }
}

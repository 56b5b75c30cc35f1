using System.Globalization;
using System.Text;

namespace BareMetal.Pxe.Dhcp.Wire;

/// <summary>
/// A datagram that is not a DHCP message we accept. The session layer catches it, logs it and drops
/// the datagram: hostile or broken input never costs more than that.
/// </summary>
public sealed class DhcpProtocolException : Exception
{
    public DhcpProtocolException()
    {
    }

    public DhcpProtocolException(string message)
        : base(message)
    {
    }

    public DhcpProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public DhcpProtocolException(DhcpProtocolError error, string message)
        : base($"{error}: {message}")
    {
        Error = error;
    }

    public DhcpProtocolError Error { get; }

    /// <summary>Throws with the offending bytes shown escaped (at most 32 of them), so a log line identifies the packet.</summary>
    internal static DhcpProtocolException Create(DhcpProtocolError error, string what, ReadOnlySpan<byte> bytes, int offset) =>
        new(error, $"{what} at offset {offset.ToString(CultureInfo.InvariantCulture)} (bytes: {Escape(bytes)})");

    internal static string Escape(ReadOnlySpan<byte> bytes, int maxShown = 32)
    {
        var maxShownBytes = maxShown;
        var sb = new StringBuilder();
        var n = Math.Min(bytes.Length, maxShownBytes);
        for (var i = 0; i < n; i++)
        {
            var b = bytes[i];
            if (b is >= 0x20 and < 0x7f and not (byte)'\\')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\x{b:x2}");
            }
        }
        if (bytes.Length > maxShownBytes)
        {
            sb.Append("...");
        }
        return sb.ToString();
    }
}

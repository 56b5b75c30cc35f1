using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BareMetal.Cli;

/// <summary>
/// SHA-256 certificate fingerprints as operators see them: `serve` prints `AB:CD:...` (openssl's form);
/// `--fingerprint` also takes the 64 hex digits without colons, any case.
/// </summary>
internal static class Fingerprints
{
    /// <summary>The canonical form (upper-case hex pairs joined by colons), or a CliException saying what a fingerprint looks like.</summary>
    public static string Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hex = text.Trim().Replace(":", "", StringComparison.Ordinal);
        if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
        {
            throw new CliException($"{source} '{text}': expected a SHA-256 certificate fingerprint, 64 hex digits with or without colons (as `baremetal serve --tls` prints it)");
        }
        return Format(Convert.FromHexString(hex));
    }

    public static string Of(X509Certificate certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return Format(SHA256.HashData(certificate.GetRawCertData()));
    }

    public static string Format(ReadOnlySpan<byte> sha256) =>
        string.Join(':', sha256.ToArray().Select(b => b.ToString("X2", CultureInfo.InvariantCulture)));
}

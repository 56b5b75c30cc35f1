using System.Globalization;
using System.Text.RegularExpressions;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// iPXE scripts served at /boot/{mac}.ipxe. Until the node registry (provisioning issue) assigns
/// images, every node gets the "unknown node" script: say who it is, wait, and ask again, so a node
/// that is assigned later boots without anyone touching it.
/// </summary>
public static partial class BootScripts
{
    /// <summary>Seconds an unknown node waits before it asks for its script again.</summary>
    public const int RetrySeconds = 10;

    [GeneratedRegex("^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex MacPattern();

    /// <summary>Normalises a MAC to lower-case colon form; null when it is not a MAC.</summary>
    public static string? NormaliseMac(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return MacPattern().IsMatch(text) ? text.Replace('-', ':').ToLower(CultureInfo.InvariantCulture) : null;
    }

    public static string UnknownNode(string mac, string baseUrl) =>
        $"""
        #!ipxe
        echo BareMetal: node {mac} is not assigned yet; asking again in {RetrySeconds} s
        sleep {RetrySeconds}
        chain --autofree {baseUrl}/boot/${"{mac}"}.ipxe || goto retry
        :retry
        sleep {RetrySeconds}
        chain --replace --autofree {baseUrl}/boot/${"{mac}"}.ipxe

        """;

    /// <summary>Boots the node from an HTTP-range export of its disk (iPXE `sanboot`).</summary>
    public static string Stream(string diskUrl) =>
        $"""
        #!ipxe
        echo BareMetal: streaming {diskUrl}
        sanboot --no-describe {diskUrl} || goto failed
        :failed
        echo BareMetal: sanboot failed, retrying in {RetrySeconds} s
        sleep {RetrySeconds}
        sanboot --no-describe {diskUrl}

        """;
}

using System.Globalization;
using System.Text;

namespace BareMetal.MediatorModel.Spec.Emit;

internal static class Names
{
    /// <summary>"ahci" -> "Ahci", "my_dev" -> "MyDev".</summary>
    public static string Pascal(string name)
    {
        var sb = new StringBuilder();
        var upper = true;
        foreach (var c in name)
        {
            if (c == '_')
            {
                upper = true;
                continue;
            }
            sb.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        return sb.Length == 0 || char.IsAsciiDigit(sb[0]) ? "D" + sb : sb.ToString();
    }

    public static string Hex(ulong v) => "0x" + v.ToString("X", CultureInfo.InvariantCulture);

    public static string Lit(ulong v) => v < 10 ? v.ToString(CultureInfo.InvariantCulture) + "UL" : Hex(v) + "UL";

    public static string Int(long v) => v.ToString(CultureInfo.InvariantCulture);

    public static string Xml(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>A C# string literal body (spec strings are single-line; quotes and backslashes escaped).</summary>
    public static string Str(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}

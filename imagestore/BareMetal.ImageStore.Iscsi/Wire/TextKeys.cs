using System.Text;

namespace BareMetal.ImageStore.Iscsi.Wire;

/// <summary>
/// Login and Text data (RFC 7143 6.1): "key=value" pairs, each ended by a NUL, UTF-8. Keys are at most
/// 63 bytes; values at most 8192 (we only need short ones and refuse longer).
/// </summary>
public static class TextKeys
{
    public const int MaxKeyLength = 63;

    public const int MaxValueLength = 8192;

    /// <summary>Parses the pairs in order. Malformed text throws <see cref="IscsiProtocolException"/> (BadTextKeys).</summary>
    public static List<KeyValuePair<string, string>> Parse(ReadOnlySpan<byte> data)
    {
        var result = new List<KeyValuePair<string, string>>();
        while (!data.IsEmpty)
        {
            var end = data.IndexOf((byte)0);
            // The last pair may lack its NUL when a PDU ends exactly at it: be lenient, iPXE pads with NULs anyway.
            var pair = end < 0 ? data : data[..end];
            data = end < 0 ? default : data[(end + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }
            var eq = pair.IndexOf((byte)'=');
            if (eq <= 0)
            {
                throw new IscsiProtocolException(IscsiProtocolError.BadTextKeys, $"text key without '=': {IscsiProtocolException.Show(pair)}");
            }
            if (eq > MaxKeyLength || pair.Length - eq - 1 > MaxValueLength)
            {
                throw new IscsiProtocolException(IscsiProtocolError.BadTextKeys, $"text key or value too long: {IscsiProtocolException.Show(pair)}");
            }
            string key, value;
            try
            {
                key = Strict.GetString(pair[..eq]);
                value = Strict.GetString(pair[(eq + 1)..]);
            }
            catch (DecoderFallbackException)
            {
                throw new IscsiProtocolException(IscsiProtocolError.BadTextKeys, $"text key is not UTF-8: {IscsiProtocolException.Show(pair)}");
            }
            result.Add(new(key, value));
        }
        return result;
    }

    /// <summary>Encodes pairs as key=value\0 ...</summary>
    public static byte[] Encode(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in pairs)
        {
            sb.Append(k).Append('=').Append(v).Append('\0');
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}

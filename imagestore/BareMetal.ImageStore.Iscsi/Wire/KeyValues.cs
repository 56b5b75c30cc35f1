using System.Globalization;

namespace BareMetal.ImageStore.Iscsi.Wire;

/// <summary>
/// The value encodings of RFC 7143 6.1 that CHAP needs. A binary value is a hex-constant (<c>0x</c> then
/// hex digits; an odd count means a leading zero nibble, byte length (n+1)/2) or a base64-constant
/// (<c>0b</c> then RFC 4648 base64 with its padding). A CHAP identifier is a numerical value:
/// a decimal-constant or a hex-constant. Malformed or oversized values throw
/// <see cref="IscsiProtocolException"/> (BadKeyValue); nothing else escapes.
/// </summary>
public static class KeyValues
{
    /// <summary>Decodes a large-binary-value of at most <paramref name="maxBytes"/> bytes (and at least one).</summary>
    public static byte[] DecodeBinary(string value, int maxBytes)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length < 3 || value[0] != '0')
        {
            throw Bad("not a hex (0x) or base64 (0b) constant", value);
        }
        var body = value.AsSpan(2);
        switch (value[1])
        {
            case 'x' or 'X':
                return DecodeHex(body, maxBytes, value);
            case 'b' or 'B':
                return DecodeBase64(body, maxBytes, value);
            default:
                throw Bad("not a hex (0x) or base64 (0b) constant", value);
        }
    }

    /// <summary>Encodes bytes as a hex-constant, <c>0x</c> and two lower-case digits a byte (what every initiator reads).</summary>
    public static string EncodeHex(ReadOnlySpan<byte> bytes) => "0x" + Convert.ToHexStringLower(bytes);

    /// <summary>Encodes bytes as a base64-constant, <c>0b</c> and padded base64.</summary>
    public static string EncodeBase64(ReadOnlySpan<byte> bytes) => "0b" + Convert.ToBase64String(bytes);

    /// <summary>Parses a numerical value (decimal, or hex with 0x) no larger than <paramref name="max"/>.</summary>
    public static int ParseNumber(string value, int max)
    {
        ArgumentNullException.ThrowIfNull(value);
        var hex = value.Length > 2 && value[0] == '0' && value[1] is 'x' or 'X';
        var digits = hex ? value.AsSpan(2) : value.AsSpan();
        // Eight digits hold any int we take; longer strings (leading zeros or not) are refused outright.
        if (digits.IsEmpty || digits.Length > 8)
        {
            throw Bad("not a number", value);
        }
        // Every character checked here: int.TryParse lets trailing NULs through, even with NumberStyles.None
        // (the fuzz target found "07\0" taken as 7).
        foreach (var c in digits)
        {
            if (hex ? Nibble(c) < 0 : !char.IsAsciiDigit(c))
            {
                throw Bad("not a number", value);
            }
        }
        var style = hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None;
        if (!int.TryParse(digits, style, CultureInfo.InvariantCulture, out var n) || n < 0 || n > max)
        {
            throw Bad($"not a number from 0 to {max}", value);
        }
        return n;
    }

    private static byte[] DecodeHex(ReadOnlySpan<char> digits, int maxBytes, string value)
    {
        var bytes = (digits.Length + 1) / 2;
        if (bytes > maxBytes)
        {
            throw Bad($"longer than {maxBytes} bytes", value);
        }
        var result = new byte[bytes];
        // With an odd count the first digit stands alone as the low nibble of the first byte.
        var odd = digits.Length % 2;
        for (var i = 0; i < digits.Length; i++)
        {
            var nibble = Nibble(digits[i]);
            if (nibble < 0)
            {
                throw Bad("bad hex digit", value);
            }
            var position = i + odd;
            result[position / 2] |= (byte)(position % 2 == 0 ? nibble << 4 : nibble);
        }
        return result;
    }

    private static byte[] DecodeBase64(ReadOnlySpan<char> text, int maxBytes, string value)
    {
        if (text.Length % 4 != 0)
        {
            throw Bad("base64 length is not a multiple of 4", value);
        }
        var padding = text.EndsWith("==") ? 2 : text.EndsWith("=") ? 1 : 0;
        for (var i = 0; i < text.Length - padding; i++)
        {
            // Convert.TryFromBase64Chars skips white space; a key value may not hold any.
            if (!char.IsAsciiLetterOrDigit(text[i]) && text[i] != '+' && text[i] != '/')
            {
                throw Bad("bad base64 character", value);
            }
        }
        var bytes = text.Length / 4 * 3 - padding;
        if (bytes > maxBytes)
        {
            throw Bad($"longer than {maxBytes} bytes", value);
        }
        var result = new byte[bytes];
        if (!Convert.TryFromBase64Chars(text, result, out var written) || written != bytes)
        {
            throw Bad("bad base64", value);
        }
        return result;
    }

    private static int Nibble(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };

    private static IscsiProtocolException Bad(string problem, string value) =>
        new(IscsiProtocolError.BadKeyValue, $"{problem}: '{Shorten(value)}'");

    /// <summary>A value as a log may show it: at most 32 characters, control characters escaped.</summary>
    internal static string Shorten(string value)
    {
        var cut = value.Length > 32 ? value[..32] + "..." : value;
        return string.Create(cut.Length, cut, (span, s) =>
        {
            for (var i = 0; i < s.Length; i++)
            {
                span[i] = char.IsControl(s[i]) ? '?' : s[i];
            }
        });
    }
}

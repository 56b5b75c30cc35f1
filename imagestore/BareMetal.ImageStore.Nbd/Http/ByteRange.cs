namespace BareMetal.ImageStore.Nbd.Http;

/// <summary>How a Range header applies to a resource of a given length (RFC 9110 section 14).</summary>
public enum RangeKind
{
    /// <summary>No usable Range header (absent, not "bytes=", several ranges, malformed): send everything with 200.</summary>
    Whole,
    /// <summary>One satisfiable range: 206 with Content-Range.</summary>
    Partial,
    /// <summary>A well-formed range that starts past the end: 416 with "Content-Range: bytes */length".</summary>
    Unsatisfiable,
}

/// <summary>A parsed single byte range, [Start, End] inclusive as HTTP writes it.</summary>
public readonly record struct ByteRange(RangeKind Kind, long Start, long End)
{
    public long Length => End - Start + 1;

    /// <summary>
    /// Parses "bytes=a-b", "bytes=a-" and "bytes=-n" (suffix). Servers may ignore what they do not
    /// support, so several ranges or bad syntax give <see cref="RangeKind.Whole"/> rather than an error.
    /// </summary>
    public static ByteRange Parse(string? header, long length)
    {
        var whole = new ByteRange(RangeKind.Whole, 0, length - 1);
        if (string.IsNullOrEmpty(header) || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return whole;
        }
        var spec = header.AsSpan(6).Trim();
        if (spec.Contains(',') || spec.Length > 64)
        {
            return whole;
        }
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return whole;
        }
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.IsEmpty)
        {
            // Suffix range: the last n bytes.
            if (!TryDigits(last, out var n))
            {
                return whole;
            }
            if (n == 0 || length == 0)
            {
                return new ByteRange(RangeKind.Unsatisfiable, 0, 0);
            }
            return new ByteRange(RangeKind.Partial, Math.Max(0, length - n), length - 1);
        }
        if (!TryDigits(first, out var start))
        {
            return whole;
        }
        long end;
        if (last.IsEmpty)
        {
            end = length - 1;
        }
        else if (!TryDigits(last, out end) || end < start)
        {
            return whole;
        }
        if (start >= length)
        {
            return new ByteRange(RangeKind.Unsatisfiable, 0, 0);
        }
        return new ByteRange(RangeKind.Partial, start, Math.Min(end, length - 1));
    }

    private static bool TryDigits(ReadOnlySpan<char> s, out long value)
    {
        value = 0;
        if (s.IsEmpty || s.Length > 18)
        {
            return false;
        }
        foreach (var c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = value * 10 + (c - '0');
        }
        return true;
    }
}

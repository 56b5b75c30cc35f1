using System.Globalization;
using System.Text;
using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Syntax;

/// <summary>
/// Pass 1: characters to tokens. Never throws: a bad character or literal is reported and skipped so
/// that the parser still sees the rest of the file.
/// </summary>
public static class Lexer
{
    /// <summary>Specs are hand-written text; anything bigger is refused before lexing (hostile input).</summary>
    public const int MaxSourceLength = 1 << 20;

    // Longest first, so that "<<" wins over "<" and "->" over "-".
    private static readonly string[] Punctuation =
    [
        "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "->", "|=", "&=", "^=", "+=", "-=",
        "{", "}", "[", "]", "(", ")", ";", ":", ",", ".", "@", "=", "<", ">", "+", "-", "*", "/", "%",
        "&", "|", "^", "~", "!", "?",
    ];

    public static IReadOnlyList<Token> Lex(string text, DiagnosticBag diagnostics)
    {
        var tokens = new List<Token>();
        if (text.Length > MaxSourceLength)
        {
            diagnostics.Report(new SourceLocation(1, 1), DiagnosticCodes.FileTooLarge,
                FormattableString.Invariant($"spec is {text.Length} characters; the limit is {MaxSourceLength}"));
            tokens.Add(new Token(TokenKind.EndOfFile, "", 0, new SourceLocation(1, 1)));
            return tokens;
        }
        var i = 0;
        var line = 1;
        var lineStart = 0;
        SourceLocation At(int pos) => new(line, pos - lineStart + 1);

        // Once the diagnostic cap is reached nothing more can be reported: stop rather than scan on.
        while (i < text.Length && !diagnostics.IsFull)
        {
            var c = text[i];
            if (c == '\n')
            {
                i++;
                line++;
                lineStart = i;
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
                continue;
            }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                var start = At(i);
                i += 2;
                var closed = false;
                while (i < text.Length)
                {
                    if (text[i] == '*' && i + 1 < text.Length && text[i + 1] == '/')
                    {
                        i += 2;
                        closed = true;
                        break;
                    }
                    if (text[i] == '\n')
                    {
                        line++;
                        lineStart = i + 1;
                    }
                    i++;
                }
                if (!closed)
                {
                    diagnostics.Report(start, DiagnosticCodes.UnterminatedComment, "comment is not closed with '*/'");
                }
                continue;
            }
            if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }
                tokens.Add(new Token(TokenKind.Identifier, text[start..i], 0, At(start)));
                continue;
            }
            if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }
                var raw = text[start..i];
                if (TryParseInteger(raw, out var value))
                {
                    tokens.Add(new Token(TokenKind.Integer, raw, value, At(start)));
                }
                else
                {
                    diagnostics.Report(At(start), DiagnosticCodes.BadNumber, $"'{raw}' is not a number that fits in 64 bits");
                    tokens.Add(new Token(TokenKind.Integer, raw, 0, At(start)));
                }
                continue;
            }
            if (c == '"')
            {
                var start = i;
                var sb = new StringBuilder();
                i++;
                var closed = false;
                while (i < text.Length && text[i] != '\n')
                {
                    if (text[i] == '"')
                    {
                        closed = true;
                        i++;
                        break;
                    }
                    if (text[i] == '\\' && i + 1 < text.Length && text[i + 1] is '"' or '\\')
                    {
                        i++;
                    }
                    sb.Append(text[i]);
                    i++;
                }
                if (!closed)
                {
                    diagnostics.Report(At(start), DiagnosticCodes.UnterminatedString, "string is not closed on its line");
                }
                tokens.Add(new Token(TokenKind.String, sb.ToString(), 0, At(start)));
                continue;
            }
            var matched = false;
            foreach (var p in Punctuation)
            {
                if (string.CompareOrdinal(text, i, p, 0, p.Length) == 0)
                {
                    tokens.Add(new Token(TokenKind.Punctuation, p, 0, At(i)));
                    i += p.Length;
                    matched = true;
                    break;
                }
            }
            if (!matched)
            {
                var shown = char.IsControl(c) || c > '~'
                    ? FormattableString.Invariant($"U+{(int)c:X4}")
                    : c.ToString();
                diagnostics.Report(At(i), DiagnosticCodes.UnexpectedCharacter, $"unexpected character '{shown}'");
                i++;
            }
        }
        tokens.Add(new Token(TokenKind.EndOfFile, "", 0, At(i)));
        return tokens;
    }

    /// <summary>Decimal, 0x hex or 0b binary, with '_' separators (0x4000_0000); false when it overflows 64 bits.</summary>
    private static bool TryParseInteger(string raw, out ulong value)
    {
        value = 0;
        var digits = raw.Replace("_", "", StringComparison.Ordinal);
        if (digits.Length == 0 || raw.EndsWith('_'))
        {
            return false;
        }
        if (digits.Length > 2 && digits[0] == '0' && digits[1] is 'x' or 'X')
        {
            return ulong.TryParse(digits.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        if (digits.Length > 2 && digits[0] == '0' && digits[1] is 'b' or 'B')
        {
            return ulong.TryParse(digits.AsSpan(2), NumberStyles.AllowBinarySpecifier, CultureInfo.InvariantCulture, out value);
        }
        return ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}

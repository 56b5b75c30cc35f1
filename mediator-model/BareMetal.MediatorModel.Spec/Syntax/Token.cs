using BareMetal.MediatorModel.Spec.Diagnostics;

namespace BareMetal.MediatorModel.Spec.Syntax;

/// <summary>One lexeme. <see cref="Text"/> is the identifier, punctuation or unescaped string; <see cref="Value"/> the integer.</summary>
public readonly record struct Token(TokenKind Kind, string Text, ulong Value, SourceLocation Location)
{
    public bool Is(string punctuationOrKeyword) =>
        (Kind == TokenKind.Punctuation || Kind == TokenKind.Identifier) && Text == punctuationOrKeyword;

    public string Describe() => Kind switch
    {
        TokenKind.EndOfFile => "end of file",
        TokenKind.Integer => $"number '{Text}'",
        TokenKind.String => "a string",
        TokenKind.Identifier => $"'{Text}'",
        _ => $"'{Text}'",
    };
}

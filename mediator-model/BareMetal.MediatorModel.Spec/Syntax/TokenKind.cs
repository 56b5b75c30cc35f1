namespace BareMetal.MediatorModel.Spec.Syntax;

/// <summary>Token classes. Keywords are not tokens of their own: they are identifiers the parser
/// recognises by position, so a register may be called <c>count</c> or <c>state</c>.</summary>
public enum TokenKind
{
    EndOfFile,
    Identifier,
    Integer,
    String,
    Punctuation,
}

using System.Text;
using BareMetal.MediatorModel.Spec.Ast;

namespace BareMetal.MediatorModel.Spec.Emit;

/// <summary>Prints expressions back as spec text (for docs and diagram labels), fully parenthesised only where needed.</summary>
public static class ExprPrinter
{
    public static string Print(Expr e)
    {
        var sb = new StringBuilder();
        Write(sb, e, 0);
        return sb.ToString();
    }

    private static int Precedence(string op) => op switch
    {
        "||" => 1,
        "&&" => 2,
        "==" or "!=" or "<" or "<=" or ">" or ">=" => 3,
        "|" => 4,
        "^" => 5,
        "&" => 6,
        "<<" or ">>" => 7,
        "+" or "-" => 8,
        _ => 9,
    };

    private static bool IsBitwise(Expr e) => e is BinaryExpr { Op: "&" or "|" or "^" };

    private static void Write(StringBuilder sb, Expr e, int outer)
    {
        switch (e)
        {
            case IntLiteral l:
                sb.Append(l.Text);
                break;
            case NameExpr n:
                sb.Append(n.Name);
                break;
            case MemberExpr m:
                Write(sb, m.Target, 11);
                sb.Append('.').Append(m.Member);
                break;
            case IndexExpr ix:
                Write(sb, ix.Target, 11);
                sb.Append('[');
                Write(sb, ix.Index, 0);
                sb.Append(']');
                break;
            case UnaryExpr u:
                sb.Append(u.Op);
                Write(sb, u.Operand, 10);
                break;
            case BinaryExpr b:
                {
                    var p = Precedence(b.Op);
                    if (p < outer)
                    {
                        sb.Append('(');
                    }
                    // Bitwise operands of a comparison get parentheses even though the DSL binds
                    // them tighter: a reader coming from C would otherwise misread them.
                    var inner = p == 3 ? 7 : p;
                    Write(sb, b.Left, IsBitwise(b.Left) ? inner : p);
                    sb.Append(' ').Append(b.Op).Append(' ');
                    Write(sb, b.Right, IsBitwise(b.Right) ? inner : p + 1);
                    if (p < outer)
                    {
                        sb.Append(')');
                    }
                    break;
                }
            case ConditionalExpr c:
                if (outer > 0)
                {
                    sb.Append('(');
                }
                Write(sb, c.Condition, 1);
                sb.Append(" ? ");
                Write(sb, c.WhenTrue, 0);
                sb.Append(" : ");
                Write(sb, c.WhenFalse, 0);
                if (outer > 0)
                {
                    sb.Append(')');
                }
                break;
            default:
                sb.Append("<error>");
                break;
        }
    }
}

using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Nodes;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.Provisioning.Tests.Pure;

public class NamePropertyTests
{
    private static bool InAlphabet(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';

    [Test]
    public void AnyAcceptedName_IsShortPortableAndCannotEscapeOrCollide()
    {
        var hostile = Gen.Elements('a', 'Z', '0', '.', '_', '-', '@', '/', '\\', ' ', '\0', '\u00e9', ':', '%', 'v');
        var gen = Gen.ArrayOf(hostile).Select(cs => new string(cs));
        Prop.ForAll(Arb.From(gen), Arb.From(Gen.Choose(1, 100000)), (name, version) =>
        {
            if (!ImageNames.IsValid(name))
            {
                return ImageNames.Problem(name) is { Length: > 0 };
            }
            return name.Length is >= 1 and <= ImageNames.MaxLength && name.All(InAlphabet) && name[0] is not ('.' or '-')
                && ImageNames.TrySplitVersioned(ImageNames.Versioned(name, version), out var n, out var v) && n == name && v == version
                && !ImageNames.TrySplitVersioned(name, out _, out _);
        }).QuickCheckThrowOnFailure();
    }

    [Test]
    public void NamesFromTheAlphabet_AreAccepted_UnlessTheyLookLikeAVersion()
    {
        var gen = from first in Gen.Elements("abcXYZ019".ToCharArray())
                  from rest in Gen.ArrayOf(Gen.Elements("ab9._-".ToCharArray()))
                  select first + new string(rest.Take(63).ToArray());
        Prop.ForAll(Arb.From(gen), name => ImageNames.IsValid(name) != ImageNames.TrySplitVersioned(name, out _, out _)).QuickCheckThrowOnFailure();
    }

    [Test]
    public void AnyMacSpelling_NormalisesToOneCanonicalForm_AndGarbageToNull()
    {
        Prop.ForAll(Arb.From(Gen.ArrayOf(Gen.Choose(0, 255)).Where(a => a.Length == 6)), bytes =>
        {
            var b = bytes.Select(x => (byte)x).ToArray();
            var colon = string.Join(':', b.Select(x => x.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
            var dash = string.Join('-', b.Select(x => x.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
            var bare = Convert.ToHexString(b);
            return Macs.Normalise(colon) == colon && Macs.Normalise(dash) == colon && Macs.Normalise(bare) == colon
                && Macs.Compact(colon) == bare.ToLowerInvariant();
        }).QuickCheckThrowOnFailure();
        Prop.ForAll(Arb.From(Gen.ArrayOf(Gen.Elements("0aF:-g ".ToCharArray())).Select(c => new string(c))), text =>
            Macs.Normalise(text) is not { } m || (m.Length == 17 && m.Where((c, i) => i % 3 == 2).All(c => c == ':') && m == m.ToLowerInvariant()))
            .QuickCheckThrowOnFailure();
    }
}

using System.Security.Cryptography;

namespace BareMetal.TestSupport;

public static class Hash
{
    public static string Sha256File(string path)
    {
        using var f = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(f));
    }
}

using System.Security.Cryptography;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// An RMCP+ cipher suite (IPMI 2.0 table 22-20): the algorithms named in the Open Session Request and
/// the HMAC each one means. Suite 3 (RAKP-HMAC-SHA1, HMAC-SHA1-96, AES-CBC-128) is what ipmitool
/// proposes by default on older releases; suite 17 swaps SHA-1 for SHA-256 throughout.
/// </summary>
public sealed record CipherSuite(byte Id, byte AuthenticationAlgorithm, byte IntegrityAlgorithm, byte ConfidentialityAlgorithm)
{
    public const byte RakpHmacSha1 = 0x01;
    public const byte RakpHmacSha256 = 0x03;
    public const byte HmacSha1_96 = 0x01;
    public const byte HmacSha256_128 = 0x04;
    public const byte AesCbc128 = 0x01;

    public static CipherSuite Suite3 { get; } = new(3, RakpHmacSha1, HmacSha1_96, AesCbc128);

    public static CipherSuite Suite17 { get; } = new(17, RakpHmacSha256, HmacSha256_128, AesCbc128);

    public static CipherSuite FromId(int id) => id switch
    {
        3 => Suite3,
        17 => Suite17,
        _ => throw new ArgumentOutOfRangeException(nameof(id), id, "only cipher suites 3 and 17 are implemented"),
    };

    private bool Sha256 => AuthenticationAlgorithm == RakpHmacSha256;

    /// <summary>Length of the RAKP 2/3 key exchange authentication codes (the full HMAC).</summary>
    public int AuthCodeLength => Sha256 ? 32 : 20;

    /// <summary>Length of the RAKP 4 integrity check value (HMAC truncated: 96 bits for SHA-1, 128 for SHA-256).</summary>
    public int Rakp4IcvLength => Sha256 ? 16 : 12;

    /// <summary>Length of the AuthCode that ends every authenticated session packet.</summary>
    public int IntegrityLength => IntegrityAlgorithm == HmacSha256_128 ? 16 : 12;

    /// <summary>The RAKP HMAC (used for the key exchange codes, the SIK and K1/K2).</summary>
    public byte[] Hmac(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data) =>
        Sha256 ? HMACSHA256.HashData(key, data) : HMACSHA1.HashData(key, data);

    /// <summary>The per-packet AuthCode: the integrity HMAC keyed with K1, truncated.</summary>
    public byte[] Integrity(ReadOnlySpan<byte> k1, ReadOnlySpan<byte> data)
    {
        var full = IntegrityAlgorithm == HmacSha256_128 ? HMACSHA256.HashData(k1, data) : HMACSHA1.HashData(k1, data);
        return full[..IntegrityLength];
    }
}

using System.Globalization;
using System.Security.Cryptography;

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// AES-CBC-128 payload encryption (IPMI 2.0 section 13.29): a fresh 16-byte IV, then the payload,
/// confidentiality pad bytes 1, 2, 3 ... N and the pad length N, encrypted with the first 16 bytes of K2.
/// </summary>
public static class AesCbcConfidentiality
{
    public const int BlockSize = 16;

    public static byte[] Encrypt(ReadOnlySpan<byte> k2, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> plain)
    {
        var padLength = (BlockSize - ((plain.Length + 1) % BlockSize)) % BlockSize;
        var block = new byte[plain.Length + padLength + 1];
        plain.CopyTo(block);
        for (var i = 0; i < padLength; i++)
        {
            block[plain.Length + i] = (byte)(i + 1);
        }
        block[^1] = (byte)padLength;
        using var aes = Aes.Create();
        aes.Key = k2[..BlockSize].ToArray();
        var result = new byte[BlockSize + block.Length];
        iv[..BlockSize].CopyTo(result);
        aes.EncryptCbc(block, iv[..BlockSize], result.AsSpan(BlockSize), PaddingMode.None);
        return result;
    }

    public static byte[] Decrypt(ReadOnlySpan<byte> k2, ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 2 * BlockSize || payload.Length % BlockSize != 0)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.BadLength, $"encrypted payload of {payload.Length.ToString(CultureInfo.InvariantCulture)} bytes is not an IV plus whole AES blocks", payload);
        }
        using var aes = Aes.Create();
        aes.Key = k2[..BlockSize].ToArray();
        var plain = aes.DecryptCbc(payload[BlockSize..], payload[..BlockSize], PaddingMode.None);
        int padLength = plain[^1];
        if (padLength >= BlockSize || padLength + 1 > plain.Length)
        {
            throw new IpmiProtocolException(IpmiProtocolError.BadPadding, "confidentiality pad length out of range (wrong key or corrupted payload)");
        }
        for (var i = 0; i < padLength; i++)
        {
            if (plain[plain.Length - 1 - padLength + i] != i + 1)
            {
                throw new IpmiProtocolException(IpmiProtocolError.BadPadding, "confidentiality pad bytes are not 1, 2, 3 ... (wrong key or corrupted payload)");
            }
        }
        return plain[..(plain.Length - 1 - padLength)];
    }
}

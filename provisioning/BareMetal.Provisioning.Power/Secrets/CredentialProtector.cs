using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BareMetal.Provisioning.Power.Secrets;

/// <summary>
/// Seals secrets (BMC passwords) for storage in the catalog: AES-256-GCM under a key kept in a 0600
/// file in the server's data directory, created at first use. Each value gets a fresh 96-bit nonce.
/// Envelope: <c>bm1:</c> + base64(version 0x01 | nonce (12) | tag (16) | ciphertext). The optional
/// associated data (e.g. the node's MAC) binds a value to its row: a sealed password copied onto
/// another node does not open.
/// </summary>
public sealed class CredentialProtector
{
    public const string KeyFileName = "credential.key";
    public const string Prefix = "bm1:";
    private const byte Version = 0x01;
    private const int KeyLength = 32;
    private const int NonceLength = 12;
    private const int TagLength = 16;

    private readonly byte[] _key;

    public CredentialProtector(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyLength)
        {
            throw new ArgumentException("the credential key is 32 bytes (AES-256)", nameof(key));
        }
        _key = key.ToArray();
    }

    /// <summary>Opens the key in <paramref name="dataDirectory"/>, creating it (mode 0600) on first use.</summary>
    public static CredentialProtector OpenOrCreate(string dataDirectory, ILogger? logger = null)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, KeyFileName);
        if (!File.Exists(path))
        {
            var key = RandomNumberGenerator.GetBytes(KeyLength);
            try
            {
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                }
                using (var f = new FileStream(path, options))
                {
                    f.Write(key);
                    f.Flush(flushToDisk: true);
                }
                Log.KeyCreated(logger ?? NullLogger.Instance, path);
                return new CredentialProtector(key);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Another process created it first: use theirs.
            }
        }
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != KeyLength)
        {
            throw new CredentialProtectionException($"{path} holds {bytes.Length} bytes, not a 32-byte key; restore it from a backup (every stored BMC password depends on it)");
        }
        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new CredentialProtectionException($"{path} is readable by others; chmod 600 it");
        }
        return new CredentialProtector(bytes);
    }

    public string Protect(string plaintext, string? associatedData = null)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var envelope = new byte[1 + NonceLength + TagLength + plain.Length];
        envelope[0] = Version;
        var nonce = envelope.AsSpan(1, NonceLength);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(_key, TagLength);
        gcm.Encrypt(nonce, plain, envelope.AsSpan(1 + NonceLength + TagLength), envelope.AsSpan(1 + NonceLength, TagLength), Aad(associatedData, envelope[0]));
        CryptographicOperations.ZeroMemory(plain);
        return Prefix + Convert.ToBase64String(envelope);
    }

    public string Unprotect(string protectedValue, string? associatedData = null)
    {
        ArgumentNullException.ThrowIfNull(protectedValue);
        if (!protectedValue.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new CredentialProtectionException("not a protected value (no bm1: prefix)");
        }
        byte[] envelope;
        try
        {
            envelope = Convert.FromBase64String(protectedValue[Prefix.Length..]);
        }
        catch (FormatException e)
        {
            throw new CredentialProtectionException("protected value is not valid base64", e);
        }
        if (envelope.Length < 1 + NonceLength + TagLength)
        {
            throw new CredentialProtectionException("protected value is truncated");
        }
        if (envelope[0] != Version)
        {
            throw new CredentialProtectionException($"protected value has envelope version {envelope[0]}, this server reads version {Version}");
        }
        var plain = new byte[envelope.Length - 1 - NonceLength - TagLength];
        try
        {
            using var gcm = new AesGcm(_key, TagLength);
            gcm.Decrypt(envelope.AsSpan(1, NonceLength), envelope.AsSpan(1 + NonceLength + TagLength), envelope.AsSpan(1 + NonceLength, TagLength), plain, Aad(associatedData, envelope[0]));
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new CredentialProtectionException("protected value does not authenticate: it was altered, belongs to another record, or was sealed under another key", e);
        }
        return Encoding.UTF8.GetString(plain);
    }

    // The version byte is authenticated too, so a value cannot be relabelled as another format.
    private static byte[] Aad(string? associatedData, byte version) =>
        [version, .. Encoding.UTF8.GetBytes(associatedData ?? "")];
}

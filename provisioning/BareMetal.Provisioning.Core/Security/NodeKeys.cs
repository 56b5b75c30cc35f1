using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BareMetal.Provisioning.Core.Security;

/// <summary>
/// The secrets a deployment hands its node, derived (HMAC-SHA256) from one server key, the node's MAC and
/// the deployment's id, so nothing secret is stored per node and every new deployment has fresh ones:
/// the export key (in the node's HTTP disk URL or NBD export name, and on its callbacks) and the iSCSI
/// CHAP secrets (the node's, and the target's for mutual CHAP). The server key lives in
/// <see cref="FileName"/> in the data directory (0600); losing it only invalidates keys already handed out.
/// </summary>
public sealed class NodeKeys
{
    /// <summary>The server key's file in the data directory.</summary>
    public const string FileName = "node-keys.key";

    /// <summary>Bytes of the server key.</summary>
    public const int ServerKeyBytes = 32;

    /// <summary>Characters of an export key (base32: 5 bits each, 130 bits).</summary>
    public const int ExportKeyLength = 26;

    /// <summary>Characters of a CHAP secret (80 bits: RFC 7143 asks for at least 96 bits of secret only for
    /// secrets people choose; these are random and rotate with every deployment). 16 also suits initiators
    /// that cap the secret at 16 characters.</summary>
    public const int ChapSecretLength = 16;

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    private readonly byte[] _key;

    public NodeKeys(byte[] serverKey)
    {
        ArgumentNullException.ThrowIfNull(serverKey);
        if (serverKey.Length < 16)
        {
            throw new ArgumentException("the server key needs at least 16 bytes", nameof(serverKey));
        }
        _key = [.. serverKey];
    }

    /// <summary>Reads the server key from the data directory, or makes one (0600) on first use.</summary>
    public static NodeKeys LoadOrCreate(string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            if (bytes.Length != ServerKeyBytes)
            {
                throw new InvalidDataException($"{path}: the node key file holds {bytes.Length} bytes, not {ServerKeyBytes}; delete it to make a new one (keys handed out stop working)");
            }
            return new NodeKeys(bytes);
        }
        var key = RandomNumberGenerator.GetBytes(ServerKeyBytes);
        var temp = path + ".new";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var f = new FileStream(temp, options))
        {
            f.Write(key);
            f.Flush(flushToDisk: true);
        }
        try
        {
            // Two servers starting at once on one data directory: the first rename wins, both read it.
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
            return LoadOrCreate(dataDirectory);
        }
        return new NodeKeys(key);
    }

    /// <summary>The key of deployment <paramref name="deploymentId"/> of node <paramref name="mac"/> (normalised MAC).</summary>
    public string ExportKey(string mac, long deploymentId) => Derive("export", mac, deploymentId, ExportKeyLength);

    /// <summary>The CHAP secret the node proves itself with (iPXE's <c>password</c>).</summary>
    public string ChapSecret(string mac, long deploymentId) => Derive("chap-initiator", mac, deploymentId, ChapSecretLength);

    /// <summary>The CHAP secret the target proves itself with in mutual CHAP (iPXE's <c>reverse-password</c>).</summary>
    public string TargetChapSecret(string mac, long deploymentId) => Derive("chap-target", mac, deploymentId, ChapSecretLength);

    /// <summary>Compares a key a client gave with the expected one in constant time.</summary>
    public static bool Matches(string? given, string expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        if (given is null)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(given), Encoding.ASCII.GetBytes(expected));
    }

    private string Derive(string purpose, string mac, long deploymentId, int length)
    {
        ArgumentNullException.ThrowIfNull(mac);
        var input = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"baremetal/{purpose}\n{mac}\n{deploymentId}"));
        Span<byte> mac256 = stackalloc byte[32];
        HMACSHA256.HashData(_key, input, mac256);
        var chars = new char[length];
        var bits = 0;
        var acc = 0;
        var i = 0;
        foreach (var b in mac256)
        {
            acc = (acc << 8) | b;
            bits += 8;
            while (bits >= 5 && i < length)
            {
                bits -= 5;
                chars[i++] = Alphabet[(acc >> bits) & 31];
            }
            acc &= (1 << bits) - 1;
            if (i == length)
            {
                break;
            }
        }
        return new string(chars);
    }
}

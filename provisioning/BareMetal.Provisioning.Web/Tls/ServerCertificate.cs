using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace BareMetal.Provisioning.Web.Tls;

/// <summary>
/// The certificate HTTPS serves: the operator's (--tls-cert/--tls-key, PEM) or a self-signed one made at
/// first run and kept in data/tls, and its SHA-256 fingerprint, which is what `baremetal login
/// --fingerprint` and other clients pin. Every failure is a <see cref="TlsCertificateException"/> whose
/// message names the file.
/// </summary>
public sealed class ServerCertificate : IDisposable
{
    public const string CertificateFileName = "cert.pem";
    public const string KeyFileName = "key.pem";

    /// <summary>A self-signed certificate is made valid for this long (no public CA rules apply to it).</summary>
    public static readonly TimeSpan SelfSignedLifetime = TimeSpan.FromDays(5 * 365);

    private ServerCertificate(X509Certificate2 certificate, X509Certificate2Collection chain, string path, bool selfSigned, bool created, IReadOnlyList<string> missingNames)
    {
        Certificate = certificate;
        Chain = chain;
        CertificatePath = path;
        SelfSigned = selfSigned;
        Created = created;
        MissingNames = missingNames;
        Fingerprint = FormatFingerprint(SHA256.HashData(certificate.RawData));
    }

    /// <summary>The leaf certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Intermediates that followed the leaf in the PEM file (sent with it); empty when self-signed.</summary>
    public X509Certificate2Collection Chain { get; }

    /// <summary>The PEM file it was read from (a client may trust it with `curl --cacert`).</summary>
    public string CertificatePath { get; }

    public bool SelfSigned { get; }

    /// <summary>True when this start made it (first run, or the stored one had expired).</summary>
    public bool Created { get; }

    /// <summary>Names the server is reached by that a stored self-signed certificate does not carry.</summary>
    public IReadOnlyList<string> MissingNames { get; }

    /// <summary>SHA-256 of the DER certificate, upper-case hex in colon-separated pairs (as `openssl x509 -fingerprint -sha256` prints it).</summary>
    public string Fingerprint { get; }

    public static string FormatFingerprint(ReadOnlySpan<byte> sha256) => string.Join(':', sha256.ToArray().Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>The operator's certificate and key (PEM files); the certificate file may carry its chain after it.</summary>
    public static ServerCertificate Load(string certificatePath, string keyPath, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var (leaf, chain) = ReadCertificates(certificatePath, "--tls-cert");
        var withKey = AttachKey(leaf, keyPath, "--tls-key", certificatePath);
        var now = time.GetUtcNow();
        if (withKey.NotAfter.ToUniversalTime() < now.UtcDateTime)
        {
            throw new TlsCertificateException($"--tls-cert {certificatePath}: the certificate expired on {withKey.NotAfter.ToUniversalTime():yyyy-MM-dd}");
        }
        return new ServerCertificate(withKey, chain, certificatePath, selfSigned: false, created: false, []);
    }

    /// <summary>
    /// The self-signed certificate in <paramref name="directory"/>, made there (ECDSA P-256, SANs for
    /// <paramref name="names"/>, key 0600, directory 0700) when there is none yet or it has expired.
    /// Kept across restarts so a pinned fingerprint stays valid.
    /// </summary>
    public static ServerCertificate LoadOrCreateSelfSigned(string directory, IReadOnlyCollection<string> names, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(time);
        var certPath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        var now = time.GetUtcNow();
        if (File.Exists(certPath) || File.Exists(keyPath))
        {
            if (!File.Exists(certPath) || !File.Exists(keyPath))
            {
                throw new TlsCertificateException($"{directory}: has {(File.Exists(certPath) ? CertificateFileName : KeyFileName)} but not {(File.Exists(certPath) ? KeyFileName : CertificateFileName)}; remove the directory to make a new self-signed certificate");
            }
            var (leaf, _) = ReadCertificates(certPath, "stored certificate");
            var stored = AttachKey(leaf, keyPath, "stored key", certPath);
            if (stored.NotAfter.ToUniversalTime() > now.UtcDateTime)
            {
                var carried = SubjectAltNames(stored);
                var missing = names.Where(n => !carried.Contains(n, StringComparer.OrdinalIgnoreCase)).ToList();
                return new ServerCertificate(stored, [], certPath, selfSigned: true, created: false, missing);
            }
            stored.Dispose();
        }
        var made = Create(names, now);
        try
        {
            PrivateFiles.CreateDirectory(directory);
            PrivateFiles.WriteAllText(keyPath, made.Key);
            PrivateFiles.WriteAllText(certPath, made.Certificate.ExportCertificatePem() + "\n");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            made.Certificate.Dispose();
            throw new TlsCertificateException($"{directory}: cannot store the self-signed certificate: {e.Message}", e);
        }
        return new ServerCertificate(made.Certificate, [], certPath, selfSigned: true, created: true, []);
    }

    /// <summary>An ECDSA P-256 self-signed server certificate naming every DNS name and address given.</summary>
    internal static (X509Certificate2 Certificate, string Key) Create(IEnumerable<string> names, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=BareMetal ({Environment.MachineName})", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(name, out var ip))
            {
                san.AddIpAddress(ip);
            }
            else if (Uri.CheckHostName(name) == UriHostNameType.Dns)
            {
                san.AddDnsName(name);
            }
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var certificate = request.CreateSelfSigned(now.AddHours(-1), now.Add(SelfSignedLifetime));
        return (certificate, key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>The DNS names and IP addresses a certificate's subjectAltName carries (addresses as IPAddress.ToString() prints them).</summary>
    public static IReadOnlyList<string> SubjectAltNames(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var ext = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        return ext is null ? [] : [.. ext.EnumerateDnsNames(), .. ext.EnumerateIPAddresses().Select(a => a.ToString())];
    }

    private static (X509Certificate2 Leaf, X509Certificate2Collection Chain) ReadCertificates(string path, string what)
    {
        var pem = ReadText(path, what);
        var all = new X509Certificate2Collection();
        try
        {
            all.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new TlsCertificateException($"{what} {path}: not a PEM certificate ({e.Message.TrimEnd('.')})", e);
        }
        if (all.Count == 0)
        {
            throw new TlsCertificateException(pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
                ? $"{what} {path}: not a PEM certificate (its CERTIFICATE block does not decode)"
                : $"{what} {path}: not a PEM certificate (no '-----BEGIN CERTIFICATE-----' block in it)");
        }
        var chain = new X509Certificate2Collection();
        for (var i = 1; i < all.Count; i++)
        {
            chain.Add(all[i]);
        }
        return (all[0], chain);
    }

    /// <summary>The certificate with its private key from <paramref name="keyPath"/>, which must be the key its public key belongs to.</summary>
    private static X509Certificate2 AttachKey(X509Certificate2 leaf, string keyPath, string what, string certificatePath)
    {
        var pem = ReadText(keyPath, what);
        using var key = ImportKey(pem);
        if (key is null)
        {
            throw new TlsCertificateException(pem.Contains("ENCRYPTED", StringComparison.Ordinal)
                ? $"{what} {keyPath}: the key is encrypted; give it unencrypted (openssl pkey -in KEY -out KEY.pem) and keep the file 0600"
                : $"{what} {keyPath}: no PEM private key in it (expected '-----BEGIN PRIVATE KEY-----', EC or RSA)");
        }
        try
        {
            return key switch
            {
                ECDsa ec when leaf.GetECDsaPublicKey() is { } pub && Disposed(pub) => leaf.CopyWithPrivateKey(ec),
                RSA rsa when leaf.GetRSAPublicKey() is { } pub && Disposed(pub) => leaf.CopyWithPrivateKey(rsa),
                _ => throw new TlsCertificateException($"{what} {keyPath} does not match the certificate in {certificatePath} (a {KindOf(key)} key for a certificate whose key is {leaf.PublicKey.Oid.FriendlyName ?? leaf.PublicKey.Oid.Value})"),
            };
        }
        catch (ArgumentException e)
        {
            throw new TlsCertificateException($"{what} {keyPath} does not match the certificate in {certificatePath}", e);
        }
    }

    private static bool Disposed(IDisposable d)
    {
        d.Dispose();
        return true;
    }

    private static string KindOf(AsymmetricAlgorithm key) => key is ECDsa ? "ECDSA" : "RSA";

    /// <summary>The first EC or RSA private key in the PEM text; null when there is none (or it is encrypted).</summary>
    private static AsymmetricAlgorithm? ImportKey(string pem)
    {
        AsymmetricAlgorithm[] candidates = [ECDsa.Create(), RSA.Create()];
        AsymmetricAlgorithm? found = null;
        foreach (var candidate in candidates)
        {
            try
            {
                if (found is null)
                {
                    (candidate as ECDsa)?.ImportFromPem(pem);
                    (candidate as RSA)?.ImportFromPem(pem);
                    found = candidate;
                    continue;
                }
            }
            catch (Exception e) when (e is ArgumentException or CryptographicException)
            {
            }
            candidate.Dispose();
        }
        return found;
    }

    private static string ReadText(string path, string what)
    {
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > 1 << 20)
            {
                throw new TlsCertificateException($"{what} {path}: larger than 1 MiB, not a PEM file");
            }
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TlsCertificateException($"{what} {path}: cannot read it: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var c in Chain)
        {
            c.Dispose();
        }
    }
}

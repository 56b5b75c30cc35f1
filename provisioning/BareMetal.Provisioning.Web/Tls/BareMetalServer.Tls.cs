using System.Net;
using System.Net.NetworkInformation;
using BareMetal.Provisioning.Web.Tls;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace BareMetal.Provisioning.Web;

/// <summary>
/// `serve --tls`: the HTTPS listener, its certificate, and the rule that keeps the plain listener to
/// what nodes fetch (<see cref="TransportSecurity"/>). Without --tls nothing here runs.
/// </summary>
public sealed partial class BareMetalServer
{
    private ServerCertificate? _certificate;

    /// <summary>https://address:port the console and API really listen on (port 0 resolved); null without --tls.</summary>
    public Uri? HttpsAddress { get; private set; }

    /// <summary>The served certificate's SHA-256 fingerprint (colon hex), printed at every start for operators to pin; null without --tls.</summary>
    public string? TlsFingerprint => _certificate?.Fingerprint;

    /// <summary>The PEM file of the served certificate (data/tls/cert.pem when self-signed); null without --tls.</summary>
    public string? TlsCertificatePath => _certificate?.CertificatePath;

    /// <summary>True when this start made the self-signed certificate (its fingerprint is new).</summary>
    public bool TlsCertificateCreated => _certificate?.Created ?? false;

    private ServerCertificate? LoadCertificate()
    {
        if (!_options.Tls)
        {
            return null;
        }
        if (_options.TlsCertificatePath is { } cert)
        {
            return ServerCertificate.Load(cert, _options.TlsKeyPath ?? throw new TlsCertificateException("--tls-cert needs --tls-key (the certificate's PEM private key)"), _options.Time);
        }
        if (_options.TlsKeyPath is not null)
        {
            throw new TlsCertificateException("--tls-key needs --tls-cert (the PEM certificate it belongs to)");
        }
        return ServerCertificate.LoadOrCreateSelfSigned(_options.TlsDirectory, SelfSignedNames(), _options.Time);
    }

    /// <summary>
    /// Every name a client may use for us: localhost and the loopback addresses, this host's name, the host
    /// of --public-url, and the listen addresses (every interface's address when listening on any).
    /// </summary>
    private List<string> SelfSignedNames()
    {
        var names = new List<string> { "localhost", "127.0.0.1", "::1", Dns.GetHostName() };
        if (_options.PublicBaseUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            names.Add(uri.HostNameType == UriHostNameType.IPv6 ? uri.Host.Trim('[', ']') : uri.Host);
        }
        foreach (var ep in new[] { _options.Https, _options.Http })
        {
            if (ep.Address.Equals(IPAddress.Any) || ep.Address.Equals(IPAddress.IPv6Any))
            {
                names.AddRange(LocalAddresses());
            }
            else
            {
                names.Add(ep.Address.ToString());
            }
        }
        return [.. names.Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    private static IEnumerable<string> LocalAddresses()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces()
                .Where(n => n.OperationalStatus != OperationalStatus.Down)
                .SelectMany(n => n.GetIPProperties().UnicastAddresses)
                .Select(u => u.Address)
                .Where(a => !a.IsIPv6LinkLocal)
                .Select(a => a.ToString())
                .ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }

    private void ListenHttps(KestrelServerOptions kestrel)
    {
        if (_certificate is not { } certificate)
        {
            return;
        }
        kestrel.Listen(_options.Https, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate.Certificate,
            ServerCertificateChain = certificate.Chain,
        }));
    }

    private void ConfigureTls(IServiceCollection services)
    {
        if (_certificate is null)
        {
            return;
        }
        // The console's antiforgery cookie, like the session cookie, never goes back over plain HTTP
        // (a cookie is per host, not per port: without Secure the browser would send it to the node listener).
        services.Configure<AntiforgeryOptions>(o => o.Cookie.SecurePolicy = CookieSecurePolicy.Always);
    }

    private void UseTransportSecurity(WebApplication web)
    {
        if (_certificate is not null)
        {
            TransportSecurity.Use(web, () => HttpsAddress?.Port ?? _options.Https.Port);
        }
    }

    /// <summary>What the web listeners serve, for the start-up lines (and HttpsAddress resolved).</summary>
    private List<string> WebEndpointLines(ICollection<string> addresses)
    {
        var http = HttpAddress!.ToString().TrimEnd('/');
        if (_certificate is not { } certificate)
        {
            return [$"http  {http}/  (console, API /api/v1, boot scripts /boot/{{mac}}.ipxe, disks /disk/{{name}}[@node], /healthz, /metrics)"];
        }
        var https = addresses.FirstOrDefault(a => a.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        HttpsAddress = new Uri(https ?? $"https://{ServeOptions.FormatEndPoint(_options.Https)}");
        var lines = new List<string>
        {
            $"https {HttpsAddress.ToString().TrimEnd('/')}/  (console, API /api/v1, login, /metrics, and the node routes too)",
            $"http  {http}/  (nodes only: boot scripts /boot/..., disks /disk/{{name}}[@node], /healthz; other paths redirect to https or get 403)",
            $"tls   {(certificate.SelfSigned ? "self-signed " : "")}certificate {certificate.CertificatePath}, SHA-256 {certificate.Fingerprint}",
        };
        if (certificate.MissingNames.Count > 0)
        {
            lines.Add($"tls   the stored certificate does not name {string.Join(", ", certificate.MissingNames)} (remove {_options.TlsDirectory} to make a new one)");
        }
        return lines;
    }
}

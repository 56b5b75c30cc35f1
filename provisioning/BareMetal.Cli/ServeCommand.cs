using System.CommandLine;
using System.Runtime.InteropServices;
using BareMetal.Provisioning.Core.Settings;
using BareMetal.Provisioning.Web;

namespace BareMetal.Cli;

/// <summary>`baremetal serve`: the whole server on embedded defaults (../shared/DESIGN.md contract).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory (catalog, images, overlays, TFTP root).", DefaultValueFactory = _ => "data" };
        var http = new Option<string>("--http") { Description = "Web console, API and boot scripts (with --tls: only what nodes fetch, /boot/, /disk/, /healthz).", DefaultValueFactory = _ => "127.0.0.1:8080" };
        var tftp = new Option<string>("--tftp") { Description = "TFTP listen address ('0.0.0.0:69' serves a real network; 'off' disables).", DefaultValueFactory = _ => "127.0.0.1:6969" };
        var nbd = new Option<string>("--nbd") { Description = "NBD block service ('off' disables).", DefaultValueFactory = _ => "127.0.0.1:10809" };
        var iscsi = new Option<string>("--iscsi") { Description = "iSCSI target for the same exports ('off' disables).", DefaultValueFactory = _ => "127.0.0.1:3260" };
        var dhcp = new Option<string?>("--dhcp") { Description = "Answer PXE clients: 'proxy' beside the site's DHCP server, or 'full' for a lab network (root needed)." };
        dhcp.AcceptOnlyFromAmong("proxy", "full", "off");
        var iface = new Option<string?>("--interface") { Description = "Network interface for --dhcp." };
        var range = new Option<string?>("--dhcp-range") { Description = "Address pool for --dhcp full, FIRST-LAST (e.g. 10.0.0.100-10.0.0.199)." };
        var router = new Option<string?>("--dhcp-router") { Description = "Router (option 3) for --dhcp full, or 'none' (default: the interface's default route)." };
        var dns = new Option<string?>("--dhcp-dns") { Description = "Name servers (option 6) for --dhcp full, comma separated, or 'none' (default: /etc/resolv.conf's)." };
        var domain = new Option<string?>("--dhcp-domain") { Description = "Domain name (option 15) for --dhcp full, or 'none' (default: /etc/resolv.conf's search domain)." };
        var ntp = new Option<string?>("--dhcp-ntp") { Description = "NTP servers (option 42) for --dhcp full, comma separated (default: none)." };
        var publicUrl = new Option<string?>("--public-url") { Description = "Base URL nodes use to reach the HTTP server (default: http://HTTP-ADDRESS)." };
        var catalog = new Option<string?>("--catalog") { Description = "PostgreSQL catalog (postgres://user:pass@host:port/db); default SQLite in --data." };
        var adminPassword = new Option<string?>("--admin-password") { Description = "Set (replace) the admin password (or env BAREMETAL_ADMIN_PASSWORD); else one is generated at first run and printed once." };
        var maxUpload = new Option<long>("--max-upload") { Description = "Largest image upload accepted, in bytes.", DefaultValueFactory = _ => 64L << 30 };
        var importRoots = new Option<string[]>("--import-root") { Description = "Extra folder the API may import image files from (repeatable).", AllowMultipleArgumentsPerToken = false };
        var addressCheck = new Option<string>("--node-address-check")
        {
            Description = "How a node proves it is itself when it opens its disk: 'verified' (default: its deployment key AND an address the server can bind to its MAC: our DHCP lease, the neighbour table, or an address pinned when the node was added by hand), or 'key' (the key alone, for routed segments; a contradicted address is still refused).",
            DefaultValueFactory = _ => "verified",
        };
        var tls = new Option<bool>("--tls") { Description = "Serve the console, API and login over HTTPS (--https); --http then serves nodes only (/boot/, /disk/, /healthz)." };
        var https = new Option<string>("--https") { Description = "HTTPS listen address under --tls.", DefaultValueFactory = _ => "127.0.0.1:8443" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = "PEM certificate (chain may follow) for HTTPS; default a self-signed one kept in DATA/tls. Implies --tls." };
        var tlsKey = new Option<string?>("--tls-key") { Description = "PEM private key of --tls-cert." };
        var cmd = new Command("serve", "Run the whole server (web console, REST API, boot scripts, TFTP, NBD and iSCSI block service) on embedded defaults.")
        {
            data, http, tls, https, tlsCert, tlsKey, tftp, nbd, iscsi, dhcp, iface, range, router, dns, domain, ntp, publicUrl, catalog, adminPassword, maxUpload, importRoots, addressCheck,
        };
        cmd.SetAction(async (parse, ct) =>
        {
            var options = new ServeOptions
            {
                DataDirectory = Path.GetFullPath(parse.GetValue(data)!),
                Http = EndPointParser.Parse("--http", parse.GetValue(http)!) ?? throw new CliException("--http cannot be off"),
                Tls = parse.GetValue(tls) || parse.GetValue(tlsCert) is not null || parse.GetValue(tlsKey) is not null,
                Https = EndPointParser.Parse("--https", parse.GetValue(https)!) ?? throw new CliException("--https cannot be off (leave out --tls for plain HTTP)"),
                TlsCertificatePath = parse.GetValue(tlsCert) is { } certPath ? Path.GetFullPath(certPath) : null,
                TlsKeyPath = parse.GetValue(tlsKey) is { } keyPath ? Path.GetFullPath(keyPath) : null,
                Tftp = EndPointParser.Parse("--tftp", parse.GetValue(tftp)!),
                Nbd = EndPointParser.Parse("--nbd", parse.GetValue(nbd)!),
                Iscsi = EndPointParser.Parse("--iscsi", parse.GetValue(iscsi)!),
                PublicBaseUrl = parse.GetValue(publicUrl),
                Dhcp = parse.GetValue(dhcp) switch
                {
                    "proxy" => BareMetal.Pxe.Dhcp.Server.DhcpMode.Proxy,
                    "full" => BareMetal.Pxe.Dhcp.Server.DhcpMode.Full,
                    _ => null,
                },
                DhcpFromSettings = parse.GetValue(dhcp) is null,
                DhcpInterface = parse.GetValue(iface),
                DhcpRange = ParseRange(parse.GetValue(range)),
                DhcpRouter = Checked("--dhcp-router", SettingKeys.DhcpRouter, parse.GetValue(router)),
                DhcpDns = Checked("--dhcp-dns", SettingKeys.DhcpDns, parse.GetValue(dns)),
                DhcpDomain = Checked("--dhcp-domain", SettingKeys.DhcpDomain, parse.GetValue(domain)),
                DhcpNtp = Checked("--dhcp-ntp", SettingKeys.DhcpNtp, parse.GetValue(ntp)),
                Catalog = parse.GetValue(catalog),
                AdminPassword = parse.GetValue(adminPassword) ?? Environment.GetEnvironmentVariable("BAREMETAL_ADMIN_PASSWORD"),
                MaxUploadBytes = parse.GetValue(maxUpload) is var m && m > 0 ? m : throw new CliException("--max-upload must be a positive number of bytes"),
                ImportRoots = [.. (parse.GetValue(importRoots) ?? []).Select(Path.GetFullPath)],
                RequireVerifiedNodeAddress = parse.GetValue(addressCheck) switch
                {
                    "verified" => true,
                    "key" => false,
                    var other => throw new CliException($"--node-address-check is 'verified' or 'key', not '{other}'"),
                },
            };
            if (options.Dhcp is not null && options.DhcpInterface is null)
            {
                throw new CliException("--dhcp needs --interface IF (the network the nodes are on)");
            }
            if (options.Dhcp == BareMetal.Pxe.Dhcp.Server.DhcpMode.Full && options.DhcpRange is null)
            {
                throw new CliException("--dhcp full needs --dhcp-range FIRST-LAST");
            }
            await using var server = new BareMetalServer(options);
            try
            {
                await server.StartAsync(ct);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ArgumentException or InvalidOperationException or UnauthorizedAccessException or BareMetal.ImageStore.Catalog.CatalogException or BareMetal.Provisioning.Web.Tls.TlsCertificateException)
            {
                throw new CliException($"cannot start: {e.Message}");
            }
            Console.Out.WriteLine($"baremetal: serving from {options.DataDirectory}");
            foreach (var line in server.Endpoints)
            {
                Console.Out.WriteLine($"  {line}");
            }
            if (server.GeneratedAdminPassword is { } generated)
            {
                // Printed here once, never logged: it is not in data/logs and will not be shown again.
                Console.Out.WriteLine($"baremetal: admin password (first run, shown once): {generated}");
                Console.Out.WriteLine("baremetal: change it with --admin-password or BAREMETAL_ADMIN_PASSWORD");
            }
            if (server.TlsFingerprint is { } fingerprint)
            {
                // Every start, not only the first: operators pin it (baremetal login --fingerprint, curl --cacert).
                Console.Out.WriteLine($"baremetal: TLS certificate SHA-256 fingerprint{(server.TlsCertificateCreated ? " (new)" : "")}: {fingerprint}");
                Console.Out.WriteLine($"baremetal: log in with: baremetal login --server {server.HttpsAddress!.ToString().TrimEnd('/')} --fingerprint {fingerprint}");
            }
            Console.Out.WriteLine("baremetal: press Ctrl-C to stop");
            var stopped = new TaskCompletionSource();
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
            {
                ctx.Cancel = true;
                stopped.TrySetResult();
            });
            using var reg = ct.Register(() => stopped.TrySetResult());
            await stopped.Task;
            Console.Out.WriteLine("baremetal: stopping");
            return 0;
        });
        return cmd;
    }

    /// <summary>A --dhcp-* network flag, held to the same rules as its setting.</summary>
    private static string? Checked(string flag, string key, string? value) =>
        value is null ? null
        : SettingKeys.ValueProblem(key, value.Trim()) is { } problem ? throw new CliException($"{flag}: {problem}")
        : value.Trim();

    private static (System.Net.IPAddress, System.Net.IPAddress)? ParseRange(string? text) =>
        text is null ? null
        : SettingKeys.ParseRange(text) ?? throw new CliException($"--dhcp-range '{text}': expected FIRST-LAST IPv4 addresses, e.g. 10.0.0.100-10.0.0.199");
}

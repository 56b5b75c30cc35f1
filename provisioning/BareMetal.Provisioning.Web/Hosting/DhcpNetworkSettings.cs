using BareMetal.Provisioning.Core.Settings;
using BareMetal.Pxe.Dhcp.Server;
using BareMetal.Pxe.Dhcp.Session;

namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>
/// Full DHCP's router, name servers, domain and NTP servers (options 3, 6, 15, 42): a `serve` flag wins, then
/// the dhcp.* setting, then what the serving interface's own configuration says (<see cref="InterfaceNetwork"/>:
/// its default route, resolv.conf). "none" sends nothing.
/// </summary>
internal static class DhcpNetworkSettings
{
    public static FullDhcpOptions Apply(FullDhcpOptions full, ServeOptions flags, IReadOnlyDictionary<string, string> saved, InterfaceNetwork defaults) => full with
    {
        Router = Pick(flags.DhcpRouter, saved, SettingKeys.DhcpRouter) is { } router ? Addresses(router).FirstOrDefault() : defaults.Router,
        DnsServers = Pick(flags.DhcpDns, saved, SettingKeys.DhcpDns) is { } dns ? Addresses(dns) : defaults.DnsServers,
        DomainName = Pick(flags.DhcpDomain, saved, SettingKeys.DhcpDomain) is { } domain ? (domain.Equals(SettingKeys.None, StringComparison.OrdinalIgnoreCase) ? null : domain.TrimEnd('.')) : defaults.Domain,
        NtpServers = Pick(flags.DhcpNtp, saved, SettingKeys.DhcpNtp) is { } ntp ? Addresses(ntp) : [],
    };

    /// <summary>For the serve output and the log: what full mode sends.</summary>
    public static string Describe(FullDhcpOptions full) =>
        $"router {full.Router?.ToString() ?? "none"}, dns {(full.DnsServers.Count > 0 ? string.Join(',', full.DnsServers) : "none")}, domain {full.DomainName ?? "none"}, ntp {(full.NtpServers.Count > 0 ? string.Join(',', full.NtpServers) : "none")}";

    private static string? Pick(string? flag, IReadOnlyDictionary<string, string> saved, string key) =>
        flag is { Length: > 0 } f ? f : saved.GetValueOrDefault(key) is { Length: > 0 } v ? v.Trim() : null;

    /// <summary>A value that passed <see cref="SettingKeys.ValueProblem"/>; one that somehow did not counts as none.</summary>
    private static IReadOnlyList<System.Net.IPAddress> Addresses(string value) => SettingKeys.ParseAddresses(value) ?? [];
}

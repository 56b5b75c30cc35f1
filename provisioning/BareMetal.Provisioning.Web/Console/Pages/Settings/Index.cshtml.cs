using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Accounts;
using BareMetal.Provisioning.Core.Settings;
using BareMetal.Pxe.Dhcp.Server;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages.Settings;

/// <summary>DHCP mode, full mode's network options and boot files (the Core settings store), and API tokens (a new secret is shown once).</summary>
public sealed class SettingsModel(ISettingsStore settings, IAccountStore accounts) : PageModel
{
    public IReadOnlyDictionary<string, string> Values { get; private set; } = new Dictionary<string, string>();
    public IReadOnlyList<ApiToken> Tokens { get; private set; } = [];
    public string? Error { get; private set; }
    public string? NewSecret { get; private set; }
    public string? NewName { get; private set; }

    public string DhcpMode => Get(SettingKeys.DhcpMode) is { Length: > 0 } mode ? mode : "off";

    public string? Get(string key) => Values.GetValueOrDefault(key);

    /// <summary>What full DHCP sends when a network field is empty: the saved interface's own route and resolv.conf.</summary>
    public InterfaceNetwork? InterfaceDefaults { get; private set; }

    /// <summary>A placeholder: the default the server would use, and where it comes from.</summary>
    public string DefaultText(string? value, string source) =>
        InterfaceDefaults is null ? $"(default: {source}, once an interface is set)"
        : value is null ? $"(none: {source} gives none)"
        : $"{value} (from {source})";

    public Task OnGetAsync(CancellationToken cancellationToken) => LoadAsync(cancellationToken);

    public async Task<IActionResult> OnPostBootAsync(string? dhcpMode, string? dhcpInterface, string? dhcpRange, string? dhcpRouter, string? dhcpDns, string? dhcpDomain, string? dhcpNtp,
        string? bootBios, string? bootX64, string? bootArm64, CancellationToken cancellationToken)
    {
        var wanted = new (string Key, string? Value)[]
        {
            (SettingKeys.DhcpMode, dhcpMode ?? "off"),
            (SettingKeys.DhcpInterface, dhcpInterface),
            (SettingKeys.DhcpRange, dhcpRange),
            (SettingKeys.DhcpRouter, dhcpRouter),
            (SettingKeys.DhcpDns, dhcpDns),
            (SettingKeys.DhcpDomain, dhcpDomain),
            (SettingKeys.DhcpNtp, dhcpNtp),
            (SettingKeys.BootFileBios, bootBios),
            (SettingKeys.BootFileX64, bootX64),
            (SettingKeys.BootFileArm64, bootArm64),
        };
        // Check everything first so a bad field changes nothing.
        foreach (var (key, value) in wanted)
        {
            if (!string.IsNullOrWhiteSpace(value) && SettingKeys.ValueProblem(key, value.Trim()) is { } problem)
            {
                return await FailAsync(problem, cancellationToken);
            }
        }
        try
        {
            foreach (var (key, value) in wanted)
            {
                if (string.IsNullOrWhiteSpace(value))
                {
                    await settings.RemoveAsync(key, cancellationToken);
                }
                else
                {
                    await settings.SetAsync(key, value.Trim(), cancellationToken);
                }
            }
        }
        catch (CatalogException e)
        {
            return await FailAsync(e.Message, cancellationToken);
        }
        TempData["Flash"] = "Settings saved.";
        return Redirect("/settings");
    }

    public async Task<IActionResult> OnPostCreateTokenAsync(string? name, CancellationToken cancellationToken)
    {
        try
        {
            var created = await accounts.CreateTokenAsync(name?.Trim() ?? "", cancellationToken);
            // Rendered in this response only, never put in TempData or a redirect: shown once.
            (NewSecret, NewName) = (created.Secret, created.Token.Name);
            await LoadAsync(cancellationToken);
            return Page();
        }
        catch (CatalogException e)
        {
            return await FailAsync(e.Message, cancellationToken, (int)e.Kind);
        }
    }

    public async Task<IActionResult> OnPostRevokeAsync(long id, CancellationToken cancellationToken)
    {
        TempData["Flash"] = await accounts.RevokeTokenAsync(id, cancellationToken) ? "Token revoked." : "No such live token.";
        return Redirect("/settings");
    }

    private async Task<IActionResult> FailAsync(string message, CancellationToken cancellationToken, int status = 400)
    {
        Error = message;
        Response.StatusCode = status;
        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        Values = await settings.ListAsync(cancellationToken);
        // The interface name passed SettingKeys' check (no '/', at most 15 characters) when it was saved.
        InterfaceDefaults = Get(SettingKeys.DhcpInterface) is { Length: > 0 } iface ? InterfaceNetwork.Read(iface.Trim()) : null;
        Tokens = await accounts.ListTokensAsync(cancellationToken);
    }
}

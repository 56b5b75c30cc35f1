// Namespace WebConsole, not Console: a namespace named Console would hide System.Console in the whole project.
using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core;
using BareMetal.Provisioning.Core.Accounts;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Events;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Provisioning.Core.Settings;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace BareMetal.Provisioning.Web.WebConsole;

/// <summary>
/// Registers the web console: Razor Pages under Console/Pages, every page but login behind the API's
/// session cookie, every form with an antiforgery token (Razor's own, checked on every POST).
/// </summary>
public static class ConsoleServiceCollectionExtensions
{
    public static IServiceCollection AddBareMetalConsole(this IServiceCollection services)
    {
        services.AddRazorPages(o =>
        {
            o.RootDirectory = "/Console/Pages";
            o.Conventions.AddFolderApplicationModelConvention("/", m =>
            {
                if (m.ViewEnginePath != "/Login")
                {
                    m.Filters.Add(new RequireLoginFilter());
                }
            });
        }).ConfigureApplicationPartManager(parts =>
        {
            // The entry assembly is the CLI or a test host, so MVC's own discovery may not find the pages.
            // The Razor SDK's part factory gives both the code part and the compiled-pages part.
            var assembly = typeof(ConsoleServiceCollectionExtensions).Assembly;
            foreach (var part in ApplicationPartFactory.GetApplicationPartFactory(assembly).GetApplicationParts(assembly))
            {
                if (!parts.ApplicationParts.Any(p => p.GetType() == part.GetType() && p.Name == part.Name))
                {
                    parts.ApplicationParts.Add(part);
                }
            }
        });
        services.AddScoped<ConsoleSignIn>();
        AddProvisioningStores(services);
        return services;
    }

    /// <summary>
    /// The pages use Core's stores through their interfaces. The composition root registers them; when
    /// it has not (yet), the console opens the provisioning database of the server's data directory
    /// itself, once, on first use. TryAdd: whatever the composition registered wins.
    /// </summary>
    private static void AddProvisioningStores(IServiceCollection services)
    {
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<ServeOptions>();
            return ProvisioningDatabase.OpenAsync(options.DataDirectory, options.Catalog,
                new ProvisioningOptions { Time = options.Time, MaxImageBytes = options.MaxUploadBytes }).GetAwaiter().GetResult();
        });
        services.TryAddSingleton<IImageCatalog>(sp => sp.GetRequiredService<ProvisioningDatabase>().Catalog);
        services.TryAddSingleton<INodeRegistry>(sp => sp.GetRequiredService<ProvisioningDatabase>().Nodes);
        services.TryAddSingleton<IDeploymentTracker>(sp => sp.GetRequiredService<ProvisioningDatabase>().Deployments);
        services.TryAddSingleton<IAccountStore>(sp => sp.GetRequiredService<ProvisioningDatabase>().Accounts);
        services.TryAddSingleton<ISettingsStore>(sp => sp.GetRequiredService<ProvisioningDatabase>().Settings);
        services.TryAddSingleton<IProvisioningEvents>(sp => sp.GetRequiredService<ProvisioningDatabase>().Events);
    }
}

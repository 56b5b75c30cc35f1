// Namespace WebConsole, not Console: a namespace named Console would hide System.Console in the whole project.
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.Extensions.DependencyInjection;

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
            var assembly = typeof(ConsoleServiceCollectionExtensions).Assembly;
            if (!parts.ApplicationParts.OfType<AssemblyPart>().Any(p => p.Assembly == assembly))
            {
                parts.ApplicationParts.Add(new AssemblyPart(assembly));
            }
        });
        services.AddScoped<ConsoleSignIn>();
        return services;
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.FileProviders;

namespace BareMetal.Provisioning.Web.WebConsole;

/// <summary>Maps the console's pages and its static files (wwwroot beside the assembly).</summary>
public static class ConsoleEndpointExtensions
{
    /// <summary>Where the built console's static files live: copied beside the assembly at build time.</summary>
    public static string WebRoot => Path.Combine(AppContext.BaseDirectory, "wwwroot");

    public static WebApplication MapBareMetalConsole(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (Directory.Exists(WebRoot))
        {
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(WebRoot) });
        }
        app.MapRazorPages();
        return app;
    }
}

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
            app.UseStaticFiles(new StaticFileOptions
            {
                FileProvider = new PhysicalFileProvider(WebRoot),
                // Assets change only with a new build; a day's caching spares a phone the round trips.
                OnPrepareResponse = ctx => ctx.Context.Response.Headers.CacheControl = "public, max-age=86400",
            });
        }
        app.MapRazorPages();
        return app;
    }
}

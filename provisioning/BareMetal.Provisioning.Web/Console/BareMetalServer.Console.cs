using BareMetal.Provisioning.Web.WebConsole;
using Microsoft.AspNetCore.Builder;

namespace BareMetal.Provisioning.Web;

/// <summary>The web console's part of the composition root: the two seam calls.</summary>
public sealed partial class BareMetalServer
{
    static partial void AddConsole(WebApplicationBuilder builder) => builder.Services.AddBareMetalConsole();

    static partial void MapConsole(WebApplication app) => app.MapBareMetalConsole();
}

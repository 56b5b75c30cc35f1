using BareMetal.Provisioning.Web.Hosting;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages.Exports;

/// <summary>Every export the block service serves, with its counters since this server opened it.</summary>
public sealed class ExportsModel(CatalogExportProvider exports) : PageModel
{
    public IReadOnlyList<ExportReport> Exports { get; private set; } = [];

    public void OnGet() => Exports = ExportReports.All(exports);
}

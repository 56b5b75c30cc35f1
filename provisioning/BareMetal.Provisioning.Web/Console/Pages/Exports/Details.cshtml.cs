using System.Globalization;
using BareMetal.ImageStore.Nbd.Counters;
using BareMetal.Provisioning.Web.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages.Exports;

/// <summary>One export: its counters, the picture of the regions read, and the same per client.</summary>
public sealed class ExportDetailsModel(CatalogExportProvider exports) : PageModel
{
    public ExportReport Export { get; private set; } = null!;

    public IActionResult OnGet(string name)
    {
        if (ExportReports.Find(exports, name) is not { } report)
        {
            return NotFound();
        }
        Export = report;
        return Page();
    }

    /// <summary>The regions read of <paramref name="counters"/> as the allocation map's SVG bar (read = solid).</summary>
    public string ReadMapSvg(CounterSnapshot counters, string id) =>
        AllocationMapSvg.Render(ExportReports.Buckets(counters.ReadRanges, Export.SizeBytes, AllocationMapSvg.Buckets), "Regions read: " + ReadSummary(counters), id);

    /// <summary>"12.5 % read, in 3 ranges".</summary>
    public string ReadSummary(CounterSnapshot counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        var covered = ExportReports.CoveredBytes(counters.ReadRanges, Export.SizeBytes);
        var ranges = ExportReports.Regions(counters.ReadRanges, Export.SizeBytes).Count;
        var percent = Export.SizeBytes == 0 ? 0 : 100.0 * covered / Export.SizeBytes;
        return string.Create(CultureInfo.InvariantCulture, $"{percent:0.#} % read, in {ranges} range{(ranges == 1 ? "" : "s")}");
    }
}

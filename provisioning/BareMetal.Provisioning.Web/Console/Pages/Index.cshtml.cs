using BareMetal.ImageStore.Catalog;
using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages;

/// <summary>Counts and the latest deployment transitions; the page then follows the live feed.</summary>
public sealed class IndexModel(IImageCatalog images, INodeRegistry nodes, IDeploymentTracker deployments) : PageModel
{
    public int ImageCount { get; private set; }
    public int VersionCount { get; private set; }
    public int NodeCount { get; private set; }
    public int AssignedCount { get; private set; }
    public int ActiveCount { get; private set; }
    public IReadOnlyList<RecentEvent> Recent { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var all = await images.ListAsync(cancellationToken: cancellationToken);
        ImageCount = all.Select(i => i.Name).Distinct(StringComparer.Ordinal).Count();
        VersionCount = all.Count;
        var nodeList = await nodes.ListAsync(cancellationToken);
        NodeCount = nodeList.Count;
        AssignedCount = nodeList.Count(n => n.IsAssigned);
        var current = await deployments.ListCurrentAsync(cancellationToken);
        ActiveCount = current.Count(d => !d.IsFinished);
        Recent = [.. current
            .SelectMany(d => d.History.Select(t => new RecentEvent(t.At, $"deployment {d.Mac} is {ConsoleFormat.StateName(t.To)}" + (t.Message is null ? "" : $" ({t.Message})"))))
            .Concat(all.Select(i => new RecentEvent(i.ImportedAt, $"image {i.ExportName} imported")))
            .OrderByDescending(e => e.At)
            .Take(15)];
    }

    public sealed record RecentEvent(DateTimeOffset At, string Text);
}

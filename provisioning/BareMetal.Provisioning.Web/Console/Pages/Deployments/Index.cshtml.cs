using BareMetal.Provisioning.Core.Deployments;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace BareMetal.Provisioning.Web.WebConsole.Pages.Deployments;

/// <summary>Every node's current deployment with its counters (updated live), and the recent transitions.</summary>
public sealed class DeploymentsModel(IDeploymentTracker deployments) : PageModel
{
    /// <summary>Transitions shown per node in the history table.</summary>
    public const int HistoryPerNode = 20;

    public IReadOnlyList<Deployment> Current { get; private set; } = [];
    public IReadOnlyList<(string Mac, DeploymentTransition Transition)> History { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Current = await deployments.ListCurrentAsync(cancellationToken);
        var history = new List<(string, DeploymentTransition)>();
        foreach (var d in Current)
        {
            foreach (var past in await deployments.GetHistoryAsync(d.Mac, 5, cancellationToken))
            {
                history.AddRange(past.History.Select(t => (past.Mac, t)));
            }
        }
        History = [.. history.OrderByDescending(h => h.Item2.At).Take(HistoryPerNode * Math.Max(1, Current.Count))];
    }
}

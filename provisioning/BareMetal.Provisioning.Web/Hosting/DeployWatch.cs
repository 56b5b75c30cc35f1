namespace BareMetal.Provisioning.Web.Hosting;

/// <summary>A deploy-mode node's copy as the block service sees it: reads of <paramref name="ExportName"/> from <paramref name="ClientAddress"/>.</summary>
public sealed record DeployWatch(string ExportName, string ClientAddress);

using System.Globalization;
using BareMetal.Provisioning.Core.Deployments;

namespace BareMetal.Provisioning.Web.WebConsole;

/// <summary>How the console writes sizes, times and states (the same way the live script does).</summary>
public static class ConsoleFormat
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    public static string Bytes(long bytes)
    {
        double n = bytes;
        var i = 0;
        while (n >= 1024 && i < Units.Length - 1)
        {
            n /= 1024;
            i++;
        }
        return i == 0 ? string.Create(CultureInfo.InvariantCulture, $"{bytes} B") : string.Create(CultureInfo.InvariantCulture, $"{n:0.0} {Units[i]}");
    }

    /// <summary>UTC, ISO-like, to the second: unambiguous on a server console read from anywhere.</summary>
    public static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("o", CultureInfo.InvariantCulture);

    /// <summary>CSS class of a state badge; the badge always carries the state's name as text too.</summary>
    public static string StateClass(DeploymentState? state) => state switch
    {
        null => "state-idle",
        DeploymentState.Done => "state-done",
        DeploymentState.Failed => "state-failed",
        _ => "state-active",
    };

    /// <summary>"streaming", "os-up": the API's and the nodes' spelling, so live updates match the page.</summary>
    public static string StateName(DeploymentState state) => state switch
    {
        DeploymentState.OsUp => "os-up",
        _ => state.ToString().ToLowerInvariant(),
    };

    public static string Percent(double value) => string.Create(CultureInfo.InvariantCulture, $"{value:0.#} %");
}

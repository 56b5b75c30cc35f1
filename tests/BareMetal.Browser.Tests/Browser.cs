using BareMetal.TestSupport;
using Microsoft.Playwright;

namespace BareMetal.Browser.Tests;

/// <summary>
/// Debian's chromium driven by Playwright. Playwright's bundled browsers are never downloaded: the
/// executable path points at /usr/bin/chromium (package `chromium`), which skips the test on a
/// laptop without it and fails it under CI.
/// </summary>
internal static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run",
    ];

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync(params string[] extraArgs)
    {
        var chromium = Peer.Require(ChromiumPath, "chromium");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
            {
                ExecutablePath = chromium,
                Headless = true,
                Args = [.. ChromiumArgs, .. extraArgs],
                Timeout = 60_000,
            });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>docs/screenshots in the repository (found from the test's output folder).</summary>
    public static string ScreenshotDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BareMetal.sln")))
            {
                var shots = Path.Combine(dir.FullName, "docs", "screenshots");
                Directory.CreateDirectory(shots);
                return shots;
            }
        }
        throw new InvalidOperationException("BareMetal.sln not found above " + AppContext.BaseDirectory);
    }
}

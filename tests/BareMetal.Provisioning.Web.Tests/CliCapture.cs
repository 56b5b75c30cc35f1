using BareMetal.Cli;
using BareMetal.ImageStore.Cli;

namespace BareMetal.Provisioning.Web.Tests;

/// <summary>
/// Runs the CLI in process with its console output captured. The console is process-wide, so the
/// fixtures that use this are [NonParallelizable].
/// </summary>
internal static class CliCapture
{
    public static async Task<(int Code, string Out, string Err)> RunAsync(params string[] args)
    {
        var stdout = Console.Out;
        var stderr = Console.Error;
        using var o = new StringWriter();
        using var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            var code = await CliRunner.RunAsync(CliApp.CreateRoot(), args);
            return (code, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }
}

using System.CommandLine;
using BareMetal.ImageStore.Formats;

namespace BareMetal.ImageStore.Cli;

/// <summary>Runs the parsed command and turns expected failures into one-line errors.</summary>
public static class CliRunner
{
    /// <summary>Exit code for a refused input (corrupt image, bad argument): like qemu-img, 2... and no stack trace.</summary>
    public const int ExitBadInput = 2;

    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };
        try
        {
            var parse = root.Parse(args);
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cts.Token);
        }
        catch (ImageFormatException e)
        {
            return Fail(e.Message);
        }
        catch (CliException e)
        {
            return Fail(e.Message, e.ExitCode);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(e.Message);
        }
        catch (OperationCanceledException)
        {
            return Fail("cancelled", 130);
        }
    }

    public static int Fail(string message, int code = ExitBadInput)
    {
        Console.Error.WriteLine($"baremetal: {message}");
        return code;
    }
}

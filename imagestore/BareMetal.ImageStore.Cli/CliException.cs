namespace BareMetal.ImageStore.Cli;

/// <summary>A user-facing failure: printed as one line, no stack trace.</summary>
public sealed class CliException(string message, int exitCode = CliRunner.ExitBadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

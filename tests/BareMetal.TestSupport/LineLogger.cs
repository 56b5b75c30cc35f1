using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace BareMetal.TestSupport;

/// <summary>
/// An <see cref="ILogger"/> that keeps every line ("Level: message"), so a test can assert what was logged
/// and at which level, and echoes it to the test's progress output.
/// </summary>
public sealed class LineLogger(string? prefix = null) : ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();

    /// <summary>The messages logged at exactly <paramref name="level"/>.</summary>
    public IEnumerable<string> At(LogLevel level) => Lines.Where(l => l.StartsWith(level + ": ", StringComparison.Ordinal)).Select(l => l[(level.ToString().Length + 2)..]);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        var line = $"{logLevel}: {formatter(state, exception)}{(exception is null ? "" : $" ({exception.GetType().Name}: {exception.Message})")}";
        Lines.Enqueue(line);
        TestContext.Progress.WriteLine(prefix + line);
    }
}

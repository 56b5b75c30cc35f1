using System.Collections.Concurrent;
using BareMetal.Provisioning.Power;
using Microsoft.Extensions.Logging;

namespace BareMetal.Interop.Tests.Power;

/// <summary>
/// Every password these interop tests use, and every log line and error message the drivers
/// produced with them: each recorded text is checked at once, and <see cref="AssertClean"/> checks
/// all of them again (tests call it in their teardown).
/// </summary>
internal static class PasswordAudit
{
    private static readonly ConcurrentQueue<string> Texts = new();

    public const string RedfishPassword = "Pw-redfish-7x1m4w";
    public const string WrongPassword = "not-the-password";

    public static string[] Passwords { get; } = [IpmiSim.Password, WrongPassword, RedfishPassword];

    public static ILogger Logger { get; } = new RecordingLogger();

    public static int Count => Texts.Count;

    public static void Record(string text)
    {
        Texts.Enqueue(text);
        Assert.That(Leak(text), Is.Null, $"a password leaked into: {text.Length} chars");
    }

    public static void AssertClean()
    {
        var leaks = Texts.Where(t => Leak(t) is not null).ToArray();
        Assert.That(leaks, Is.Empty, "a password leaked into a log line or message");
    }

    /// <summary>The password <paramref name="text"/> contains, if any.</summary>
    public static string? Leak(string text) => Passwords.FirstOrDefault(p => text.Contains(p, StringComparison.Ordinal));

    private sealed class RecordingLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Record(formatter(state, exception) + (exception is null ? "" : " " + exception));
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (_, v) in values)
                {
                    Record(v is BmcCredentials c ? c.ToString() : v?.ToString() ?? "");
                }
            }
        }
    }
}

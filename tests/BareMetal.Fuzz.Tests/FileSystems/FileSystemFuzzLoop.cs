using System.Diagnostics;
using BareMetal.ImageStore.Formats;
using BareMetal.ImageStore.Formats.FileSystems;

namespace BareMetal.Fuzz.Tests.FileSystems;

/// <summary>
/// Like <see cref="ImageFuzzLoop"/>, for partition tables and file systems: success,
/// <see cref="FileSystemFormatException"/> or <see cref="ImageFormatException"/> are the only clean
/// outcomes; each case also has a time limit, so a hang is a failure too.
/// </summary>
internal static class FileSystemFuzzLoop
{
    /// <summary>No single case may take longer than this (a hostile chain must be cut short, not walked).</summary>
    public static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(5);

    public static void Run(int cases, Action<int> body, string what)
    {
        var sw = Stopwatch.StartNew();
        var done = 0;
        for (var i = 0; i < cases && sw.Elapsed < ImageFuzzLoop.Budget; i++)
        {
            var start = sw.Elapsed;
            try
            {
                body(i);
            }
            catch (Exception e) when (e is FileSystemFormatException or ImageFormatException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"{what} case {i}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            Assert.That(sw.Elapsed - start, Is.LessThan(CaseLimit), $"{what} case {i} took too long");
            done++;
        }
        Assert.That(done, Is.EqualTo(cases), $"{what}: only {done} cases within {ImageFuzzLoop.Budget.TotalSeconds} s");
    }
}

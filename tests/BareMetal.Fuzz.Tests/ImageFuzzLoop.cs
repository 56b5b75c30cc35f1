using System.Diagnostics;
using BareMetal.ImageStore.Formats;

namespace BareMetal.Fuzz.Tests;

/// <summary>
/// Runs image fuzz cases: success or <see cref="ImageFormatException"/> are the only clean outcomes;
/// anything else fails the test with the case number. Bounded by a time budget, and fails if the
/// budget cut the run short (a fuzz run that silently did less is a test that cannot fail).
/// </summary>
internal static class ImageFuzzLoop
{
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(60);

    public static void Run(int cases, Action<int> body, string what)
    {
        var sw = Stopwatch.StartNew();
        var done = 0;
        for (var i = 0; i < cases && sw.Elapsed < Budget; i++)
        {
            try
            {
                body(i);
            }
            catch (ImageFormatException)
            {
            }
            catch (Exception e)
            {
                Assert.Fail($"{what} case {i}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            done++;
        }
        Assert.That(done, Is.EqualTo(cases), $"{what}: only {done} cases within {Budget.TotalSeconds} s");
    }
}

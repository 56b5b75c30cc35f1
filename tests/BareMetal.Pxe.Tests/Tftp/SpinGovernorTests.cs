using BareMetal.Pxe.Tftp.Server;

namespace BareMetal.Pxe.Tests.Tftp;

public sealed class SpinGovernorTests
{
    [Test]
    public void AClientThatAnswersWhileWeSpin_KeepsEveryWaitSpinning()
    {
        var g = new SpinGovernor();
        for (var i = 0; i < 1000; i++)
        {
            Assert.That(g.ShouldSpin(), Is.True, $"wait {i}");
            g.OnSpun(caught: true);
        }
    }

    [Test]
    public void SpinsInVain_DoubleTheWaitsThatSleepAtOnce_UpToTheCap()
    {
        var g = new SpinGovernor();
        var spinAt = new List<int>();
        for (var wait = 0; wait < 10_000; wait++)
        {
            if (g.ShouldSpin())
            {
                spinAt.Add(wait);
                g.OnSpun(caught: false);
            }
        }
        // Sleeps between tries: 1, 2, 4 ... 64, then 64 for good.
        Assert.That(spinAt.Take(9), Is.EqualTo(new[] { 0, 2, 5, 10, 19, 36, 69, 134, 199 }));
        Assert.That(spinAt.Zip(spinAt.Skip(1), (a, b) => b - a).Skip(6).Distinct(), Is.EqualTo(new[] { 65 }));
        // A client that never answers within the spin costs one spin per 65 waits: 8 + (9999 - 134) / 65.
        Assert.That(spinAt, Has.Count.EqualTo(159));
    }

    [Test]
    public void AnAnswerCaughtAfterBackingOff_StartsTheBackoffAgainFromOne()
    {
        var g = new SpinGovernor();
        for (var i = 0; i < 200; i++)
        {
            if (g.ShouldSpin())
            {
                g.OnSpun(caught: false);
            }
        }
        while (!g.ShouldSpin())
        {
        }
        g.OnSpun(caught: true);
        Assert.That(g.ShouldSpin(), Is.True, "caught: the next wait spins");
        g.OnSpun(caught: false);
        Assert.That(g.ShouldSpin(), Is.False, "one in vain after a catch: one wait sleeps");
        Assert.That(g.ShouldSpin(), Is.True);
    }
}

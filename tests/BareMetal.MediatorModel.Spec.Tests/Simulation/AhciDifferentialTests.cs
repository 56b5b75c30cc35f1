namespace BareMetal.MediatorModel.Spec.Tests.Simulation;

/// <summary>Issue 7's proof: on thousands of seeded random command streams, the mediator generated
/// from specs/ahci.mspec (through the simulator adapter) and the hand-written one produce the same
/// observable trace: every register value the guest reads, every interrupt, every completion with
/// the data it returned, at the same simulated times, and the same disk at the end.</summary>
public class AhciDifferentialTests
{
    private const int Streams = 2000;

    [Test]
    public void GeneratedAndHandWritten_ObserveIdenticalTraces_OnRandomCommandStreams()
    {
        var lines = 0L;
        var devirtualized = 0;
        var held = 0L;
        for (var seed = 1; seed <= Streams; seed++)
        {
            var hand = AhciWorld.Run(seed, generated: false);
            var gen = AhciWorld.Run(seed, generated: true);
            var a = hand.Guest.Trace;
            var b = gen.Guest.Trace;
            var first = FirstDifference(a, b);
            if (first >= 0)
            {
                Assert.Fail($"seed {seed}: traces differ at line {first}:\n  hand-written: {At(a, first)}\n  generated:    {At(b, first)}\n  before: {At(a, first - 1)}");
            }

            Assert.Multiple(() =>
            {
                Assert.That(gen.Hba.Blocks, Is.EqualTo(hand.Hba.Blocks), $"seed {seed}: final disk");
                Assert.That(gen.Mediator.Exits, Is.EqualTo(hand.Mediator.Exits), $"seed {seed}: VM exits");
                Assert.That(gen.Mediator.HeldCommands, Is.EqualTo(hand.Mediator.HeldCommands), $"seed {seed}: held commands");
                Assert.That(gen.Mediator.Devirtualized, Is.EqualTo(hand.Mediator.Devirtualized), $"seed {seed}: handoff");
                Assert.That(gen.Sim.EventsRun, Is.EqualTo(hand.Sim.EventsRun), $"seed {seed}: events");
            });
            lines += a.Count;
            devirtualized += gen.Mediator.Devirtualized ? 1 : 0;
            held += gen.Mediator.HeldCommands;
        }

        // The streams must exercise what they claim to: handoffs and held commands, many lines each.
        Assert.That(devirtualized, Is.GreaterThan(Streams / 2));
        Assert.That(held, Is.GreaterThan(Streams));
        Assert.That(lines, Is.GreaterThan(Streams * 50L));
    }

    [Test]
    public void GeneratedAhci_OnRandomCommandStreams_LosesNothing_ReturnsNoStaleData_AndHandsOffAtASafePoint()
    {
        for (var seed = 1; seed <= 300; seed++)
        {
            var w = AhciWorld.Run(seed, generated: true, actions: 100);
            var g = w.Guest;
            Assert.Multiple(() =>
            {
                Assert.That(g.Stale, Is.Zero, $"seed {seed}: stale blocks read");
                Assert.That((g.Completed, g.Outstanding), Is.EqualTo((g.Issued, 0)), $"seed {seed}: lost commands");
                Assert.That(w.Mediator.Devirtualized, Is.True, $"seed {seed}: never handed off");
                Assert.That(w.Mediator.SafePoint, Is.Not.Null);
                var sp = w.Mediator.SafePoint!.Value;
                Assert.That((sp.GuestCi, sp.GuestSact, sp.PendingGuestCommands, sp.DeviceBusy, sp.FetchesInFlight, sp.CopyComplete), Is.EqualTo((0u, 0u, 0, false, 0, true)), $"seed {seed}: handoff outside a safe point");
                Assert.That(w.Hba.Blocks, Is.EqualTo(g.Expected), $"seed {seed}: final disk is the image with the guest's writes");
            });
        }
    }

    /// <summary>The comparison can fail: a spec with one plausible mistake is told apart from the
    /// hand-written mediator within a few hundred streams.</summary>
    [TestCase("PxTFD.STS = PxCI == 0 && PxSACT == 0 ? 0x40 : 0x80;", "PxTFD.STS = 0x40;", TestName = "Mutant_TfdNotBusyWhileOutstanding_IsCaught")]
    [TestCase("read,  lba = lba48, count = ncqCount, tag = Count >> 3", "read,  lba = lba48, count = ncqCount, tag = Count >> 4", TestName = "Mutant_NcqReadTagFromWrongBits_IsCaught")]
    [TestCase("if PxIS & PxIE != 0 {", "if PxIS & PxIE == 0 {", TestName = "Mutant_InterruptWhenDisabled_IsCaught")]
    [TestCase("count16 = Count == 0 ? 65536 : Count;", "count16 = Count == 0 ? 65536 : Count & 0xFF;", TestName = "Mutant_Lba48CountTruncated_IsCaught")]
    public void MutatedSpec_IsCaughtByTheDifferentialTest(string original, string mutated)
    {
        var source = MutateFirst(File.ReadAllText(Repo.SpecPath("ahci")), original, mutated);
        var result = SpecCompiler.Compile(source, "ahci-mutant.mspec");
        Assert.That(result.Diagnostics, Is.Empty);
        var (assembly, problems) = GeneratedAssembly.Compile(result.Outputs!.CSharp, "ahci_mutant");
        Assert.That(problems, Is.Empty);

        for (var seed = 1; seed <= 300; seed++)
        {
            var hand = AhciWorld.Run(seed, generated: false);
            AhciWorld gen;
            try
            {
                gen = AhciWorld.Run(seed, generated: true, device: m => GeneratedAssembly.Create(assembly!, result.Outputs.ClassName, m));
            }
            catch (Exception e) when (e is InvalidOperationException or BareMetal.MediatorModel.Simulation.Ahci.AhciProtocolException)
            {
                return; // the mutant broke the run outright
            }

            if (FirstDifference(hand.Guest.Trace, gen.Guest.Trace) >= 0 || !hand.Hba.Blocks!.SequenceEqual(gen.Hba.Blocks!))
            {
                return;
            }
        }

        Assert.Fail("the mutant went unnoticed for 300 streams");
    }

    private static string MutateFirst(string text, string original, string mutated)
    {
        var at = text.IndexOf(original, StringComparison.Ordinal);
        Assert.That(at, Is.GreaterThanOrEqualTo(0), $"mutation point '{original}' not in the spec");
        return string.Concat(text.AsSpan(0, at), mutated, text.AsSpan(at + original.Length));
    }

    private static int FirstDifference(List<string> a, List<string> b)
    {
        for (var i = 0; i < Math.Max(a.Count, b.Count); i++)
        {
            if (i >= a.Count || i >= b.Count || !string.Equals(a[i], b[i], StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static string At(List<string> t, int i) => i >= 0 && i < t.Count ? t[i] : "(end)";
}

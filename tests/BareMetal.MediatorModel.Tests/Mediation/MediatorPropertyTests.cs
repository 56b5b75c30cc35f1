using BareMetal.MediatorModel.Simulation.Devices;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.MediatorModel.Tests.Mediation;

/// <summary>The mediator's correctness properties over random workloads and timings: reads see the
/// latest data, the copy never overwrites the guest's writes, no request is lost, duplicated or
/// reordered across the handoff, the handoff happens at a safe point, and the final disk is the image
/// with the guest's writes applied.</summary>
public class MediatorPropertyTests
{
    private static readonly Gen<WorkloadShape> Shapes =
        from seed in Gen.Choose(1, int.MaxValue)
        from horizon in Gen.Choose(1, 3000)
        from prefetch in Gen.Elements(false, true)
        from service in Gen.Choose(0, 3000)
        from workers in Gen.Choose(1, 4)
        from files in Gen.Choose(1, 20)
        from extra in Gen.Choose(0, 60)
        from writes in Gen.Choose(0, 40)
        from pages in Gen.Choose(1, 16)
        from think in Gen.Choose(0, 500)
        from kind in Gen.Choose(0, 4)
        from qd in Gen.Choose(1, 4)
        from cpu in Gen.Choose(0, 3000)
        from chunk in Gen.Choose(1, 64)
        from outstanding in Gen.Choose(1, 4)
        from exit in Gen.Choose(0, 20)
        from gap in Gen.Choose(0, 20)
        select new WorkloadShape(seed, horizon, prefetch, service, workers, files, extra, writes, pages, think, kind, qd, cpu, chunk, outstanding, exit, gap);

    [Test]
    public void StreamingThenHandoff_KeepsEveryGuestGuarantee()
    {
        Prop.ForAll(Shapes.ToArbitrary(), shape =>
        {
            var run = MediatedNode.RunAndDrain(MediatedNode.TinyScenario(shape));
            var failure = Failure(run);
            return failure is null ? true.ToProperty() : false.Label(failure);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Test]
    public void CopyThatIgnoresTheBitmap_IsCaught()
    {
        // The fault the properties exist for: with it, some run among a few must fail.
        var caught = 0;
        for (var seed = 1; seed <= 10 && caught == 0; seed++)
        {
            var shape = new WorkloadShape(seed, 400, false, 500, 2, 10, 40, 40, 4, 50, 1, 2, 500, 64, 1, 2, 0);
            var run = MediatedNode.RunAndDrain(MediatedNode.TinyScenario(shape), o => o with { FaultCopyIgnoresGuestWrites = true });
            caught += Failure(run) is null ? 0 : 1;
        }

        Assert.That(caught, Is.GreaterThan(0), "a copy that overwrites guest writes went unnoticed");
    }

    [Test]
    public void GuestReads_DuringStreaming_AreRedirectedAndStillCorrect()
    {
        var shape = new WorkloadShape(7, 2000, false, 300, 1, 10, 50, 20, 4, 20, 0, 2, 200, 16, 1, 2, 0);
        var run = MediatedNode.RunAndDrain(MediatedNode.TinyScenario(shape));
        Assert.Multiple(() =>
        {
            Assert.That(run.Mediator.Redirected, Is.GreaterThan(0));
            Assert.That(Failure(run), Is.Null);
        });
    }

    /// <summary>I/O multiplexing: over many random runs the guest issues commands while the copy
    /// holds the port (they are held, PxCI still set), every copy write starts with nothing of the
    /// guest's outstanding, and no held command is lost.</summary>
    [Test]
    public void CopyWrites_WaitForAnIdleGuest_AndGuestCommandsMeanwhileAreHeld()
    {
        long held = 0, copies = 0;
        for (var seed = 1; seed <= 12; seed++)
        {
            var shape = new WorkloadShape(seed, 1500, false, 200, 2, 10, 40, 20, 4, 5, seed % 4, 2, 100, 16, 2, 2, 0);
            var run = MediatedNode.RunAndDrain(MediatedNode.TinyScenario(shape));
            Assert.That(Failure(run), Is.Null, $"seed {seed}");
            held += run.Mediator.HeldCommands;
            copies += run.Mediator.CopyWrites;
        }

        Assert.Multiple(() =>
        {
            Assert.That(copies, Is.GreaterThan(100), "the copy ran");
            Assert.That(held, Is.GreaterThan(10), "guest commands arrived while the port was busy and were held");
        });
    }

    /// <summary>Null when every property holds, else what broke.</summary>
    private static string? Failure(MediatedNode run)
    {
        var guest = run.Guest;
        if (guest.Violations > 0)
        {
            return guest.FirstViolation;
        }

        if (guest.InFlight != 0 || guest.Issued != guest.Completed)
        {
            return $"lost requests: issued {guest.Issued}, completed {guest.Completed}";
        }

        var m = run.Mediator;
        if (m.CopyWritesWhileGuestOutstanding != 0)
        {
            return $"{m.CopyWritesWhileGuestOutstanding} of {m.CopyWrites} copy writes started with a guest command outstanding";
        }

        if (!m.Devirtualized || m.SafePoint is not { } sp)
        {
            return "never de-virtualized";
        }

        if (sp.GuestCi != 0 || sp.GuestSact != 0 || sp.PendingGuestCommands != 0 || sp.DeviceBusy || sp.FetchesInFlight != 0 || !sp.CopyComplete)
        {
            return $"de-virtualized outside a safe point: {sp}";
        }

        var disk = run.Node.Hba.Blocks!;
        var expected = guest.Expected!;
        for (var b = 0; b < disk.Length; b++)
        {
            if (disk[b] != expected[b])
            {
                var what = expected[b] == ImageServer.ImageTag(b) ? "image block" : "guest-written block";
                return $"final disk block {b} ({what}) holds {disk[b]}, expected {expected[b]}";
            }
        }

        return null;
    }
}

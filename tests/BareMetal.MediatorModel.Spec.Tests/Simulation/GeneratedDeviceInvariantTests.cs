namespace BareMetal.MediatorModel.Spec.Tests.Simulation;

/// <summary>The generated NVMe and IDE mediators run in the simulator (streamed image, redirected
/// reads, background copy multiplexed at the spec's safe point, handoff) under seeded random guest
/// workloads and keep the simulator's invariants: no lost, duplicated or stale I/O, the handoff only
/// at a safe point, and the final disk is the image with the guest's writes applied.</summary>
public class GeneratedDeviceInvariantTests
{
    [TestCase("nvme")]
    [TestCase("ide")]
    public void GeneratedMediator_UnderRandomWorkloads_KeepsTheSimulatorsInvariants(string device)
    {
        long redirected = 0, handoffs = 0, exits = 0;
        for (var seed = 1; seed <= 300; seed++)
        {
            var w = GeneratedDeviceWorld.Run(device, seed);
            var g = w.Guest;
            Assert.Multiple(() =>
            {
                Assert.That(g.Problems, Is.Empty, $"{device} seed {seed}");
                Assert.That(w.Done, Is.True, $"{device} seed {seed}: workload did not finish (issued {g.Issued}, completed {g.Completed})");
                Assert.That((g.Completed, g.Outstanding, g.Stale), Is.EqualTo((g.Issued, 0, 0)), $"{device} seed {seed}: lost or stale I/O");
                Assert.That(w.Host.Devirtualized, Is.True, $"{device} seed {seed}: never handed off");
                Assert.That(w.Host.Handoff, Is.Not.Null);
                var h = w.Host.Handoff!.Value;
                Assert.That((h.SpecSafePoint, h.Held, h.Running, h.Fetching, h.CopyComplete), Is.EqualTo((true, 0, false, false, true)), $"{device} seed {seed}: handoff outside a safe point");
                Assert.That(w.Host.ReadsOfMissingBlocksAfterHandoff, Is.Zero);
                Assert.That(w.Disk, Is.EqualTo(g.Expected), $"{device} seed {seed}: final disk");
            });
            redirected += w.Host.Redirected;
            handoffs += w.Host.Handoff is null ? 0 : 1;
            exits += w.Host.Exits;
        }

        // The workloads exercise what the invariants are about.
        Assert.That(redirected, Is.GreaterThan(300));
        Assert.That(exits, Is.GreaterThan(300 * 40));
    }

    [TestCase("nvme")]
    [TestCase("ide")]
    public void CopyThatOverwritesGuestWrites_IsCaught(string device)
    {
        // The fault the invariants exist for: some run among a few must break one.
        var caught = 0;
        for (var seed = 1; seed <= 20; seed++)
        {
            var w = GeneratedDeviceWorld.Run(device, seed, faultCopyIgnoresGuestWrites: true);
            caught += w.Guest.Stale > 0 || !w.Disk.SequenceEqual(w.Guest.Expected) ? 1 : 0;
        }

        Assert.That(caught, Is.GreaterThan(0));
    }
}

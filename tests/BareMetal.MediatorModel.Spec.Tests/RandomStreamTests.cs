using BareMetal.MediatorModel.Spec.Runtime;

namespace BareMetal.MediatorModel.Spec.Tests;

/// <summary>
/// Seeded random command streams against the generated AHCI and NVMe mediators, checking the
/// properties the simulator relies on: every issued command is decoded exactly once, completions
/// clear exactly what they should, and the safe point holds exactly when nothing is in flight.
/// </summary>
public class RandomStreamTests
{
    [Test]
    public void Ahci_RandomMixOfQueuedAndUnqueuedCommands_KeepsPxCiPxSactAndSafePointExact()
    {
        var rng = new Random(2015);
        for (var stream = 0; stream < 200; stream++)
        {
            var mem = new TestMemory();
            var m = GeneratedAssembly.Shipped("ahci", mem);
            var decoded = new List<DecodedCommand>();
            var interrupts = 0;
            m.CommandDecoded += (_, c) => decoded.Add(c);
            m.InterruptRaised += (_, _) => interrupts++;
            m.WriteRegister(0x04, 4, 0x8000_0002);
            m.WriteRegister(0x100, 4, 0x1000);
            m.WriteRegister(0x108, 4, 0x2000);
            m.WriteRegister(0x114, 4, 0x9);
            m.WriteRegister(0x118, 4, 0x11);
            var outstanding = new List<(DecodedCommand Command, ulong Lba, ulong Count)>();
            var completions = 0;
            for (var step = 0; step < 60; step++)
            {
                var ci = outstanding.Aggregate(0u, (a, o) => a | (1u << (int)o.Command.Item));
                var sact = outstanding.Where(o => o.Command.Queued).Aggregate(0u, (a, o) => a | (1u << (int)o.Command.Tag));
                var op = rng.Next(10);
                if (op < 5 && (ci | sact) != uint.MaxValue)
                {
                    int slot;
                    do
                    {
                        slot = rng.Next(32);
                    }
                    while (((ci | sact) & (1u << slot)) != 0);
                    var queued = rng.Next(2) == 0;
                    var lba = (ulong)rng.NextInt64(0, 1L << 48);
                    var count = (ushort)rng.Next(1, 65536);
                    WriteCommand(mem, slot, queued, lba, count);
                    if (queued)
                    {
                        m.WriteRegister(0x134, 4, 1u << slot);
                    }
                    var before = decoded.Count;
                    m.WriteRegister(0x138, 4, 1u << slot);
                    Assert.That(decoded, Has.Count.EqualTo(before + 1), $"stream {stream} step {step}: one command per new PxCI bit");
                    var c = decoded[^1];
                    Assert.That((c.Item, c.Queued, c.Lba, c.Count, c.Kind), Is.EqualTo(((ulong)slot, queued, lba, (ulong)count, queued ? CommandKind.Read : CommandKind.Write)));
                    outstanding.Add((c, lba, count));
                }
                else if (op < 8 && outstanding.Count > 0)
                {
                    var k = rng.Next(outstanding.Count);
                    m.Complete(outstanding[k].Command);
                    outstanding.RemoveAt(k);
                    completions++;
                }
                else if (op == 8)
                {
                    // The guest's interrupt handler acknowledges everything.
                    m.WriteRegister(0x110, 4, uint.MaxValue);
                    m.WriteRegister(0x08, 4, uint.MaxValue);
                    Assert.That(m.InterruptLine, Is.False);
                }
                else
                {
                    // Writing zeros to the w1s registers must change nothing.
                    m.WriteRegister(0x138, 4, 0);
                    m.WriteRegister(0x134, 4, 0);
                }
                ci = outstanding.Aggregate(0u, (a, o) => a | (1u << (int)o.Command.Item));
                sact = outstanding.Where(o => o.Command.Queued).Aggregate(0u, (a, o) => a | (1u << (int)o.Command.Tag));
                Assert.That(m.ReadRegister(0x138, 4), Is.EqualTo(ci), $"stream {stream} step {step}: PxCI");
                Assert.That(m.ReadRegister(0x134, 4), Is.EqualTo(sact), $"stream {stream} step {step}: PxSACT");
                Assert.That(m.AtSafePoint, Is.EqualTo(outstanding.Count == 0), $"stream {stream} step {step}: safe point");
                Assert.That(m.StateOf("link", 0), Is.EqualTo(outstanding.Count == 0 ? "Idle" : "Busy"));
            }
            Assert.That(interrupts, Is.LessThanOrEqualTo(completions));
        }
    }

    private static void WriteCommand(TestMemory mem, int slot, bool queued, ulong lba, ushort count)
    {
        var header = 0x1000 + (slot * 32);
        var table = 0x3000 + (slot * 0x100);
        mem.Put32(header, (1u << 16) | 5);
        mem.Put32(header + 8, (uint)table);
        mem.Put32(header + 12, 0);
        unchecked
        {
            var (command, features, sectors) = queued
                ? ((byte)0x60, count, (ushort)(slot << 3))
                : ((byte)0x35, (ushort)0, count);
            mem.Put(table,
                0x27, 0x80, command, (byte)features,
                (byte)lba, (byte)(lba >> 8), (byte)(lba >> 16), 0x40,
                (byte)(lba >> 24), (byte)(lba >> 32), (byte)(lba >> 40), (byte)(features >> 8),
                (byte)sectors, (byte)(sectors >> 8), 0, 0);
        }
    }

    [Test]
    public void Nvme_RandomSubmissionsAndOutOfOrderCompletions_PostEveryCidOnceWithTheRightPhase()
    {
        const int asq = 0x10000, acq = 0x11000, entries = 8;
        var rng = new Random(1030);
        for (var stream = 0; stream < 100; stream++)
        {
            var mem = new TestMemory();
            var m = GeneratedAssembly.Shipped("nvme", mem);
            var decoded = new List<DecodedCommand>();
            m.CommandDecoded += (_, c) => decoded.Add(c);
            m.WriteRegister(0x24, 4, ((entries - 1u) << 16) | (entries - 1u));
            m.WriteRegister(0x28, 8, asq);
            m.WriteRegister(0x30, 8, acq);
            m.WriteRegister(0x14, 4, 1);
            var tail = 0;
            var cqTail = 0;
            var phase = 1;
            ushort nextCid = 1;
            var outstanding = new List<(DecodedCommand Command, ushort Cid)>();
            for (var step = 0; step < 80; step++)
            {
                if (rng.Next(2) == 0 && outstanding.Count < entries - 2)
                {
                    var n = rng.Next(1, entries - 1 - outstanding.Count);
                    var before = decoded.Count;
                    var cids = new List<ushort>();
                    for (var i = 0; i < n; i++)
                    {
                        var at = asq + (tail * 64);
                        mem.Put(at, new byte[64]);
                        mem.Put(at, 0x0A, 0, unchecked((byte)nextCid), (byte)(nextCid >> 8));
                        cids.Add(nextCid++);
                        tail = (tail + 1) % entries;
                    }
                    m.WriteRegister(0x1000, 4, (ulong)tail);
                    Assert.That(decoded, Has.Count.EqualTo(before + n), $"stream {stream} step {step}");
                    for (var i = 0; i < n; i++)
                    {
                        outstanding.Add((decoded[before + i], cids[i]));
                    }
                }
                else if (outstanding.Count > 0)
                {
                    var k = rng.Next(outstanding.Count);
                    m.Complete(outstanding[k].Command);
                    var cqe = acq + (cqTail * 16);
                    Assert.That(mem.U16(cqe + 12), Is.EqualTo(outstanding[k].Cid), $"stream {stream} step {step}: CID");
                    Assert.That(mem.U16(cqe + 14) & 1, Is.EqualTo(phase), $"stream {stream} step {step}: phase");
                    outstanding.RemoveAt(k);
                    cqTail++;
                    if (cqTail == entries)
                    {
                        cqTail = 0;
                        phase ^= 1;
                    }
                    m.WriteRegister(0x1004, 4, (ulong)cqTail); // the host consumes at once
                    Assert.That(m.InterruptLine, Is.False);
                }
                Assert.That(m.AtSafePoint, Is.EqualTo(outstanding.Count == 0), $"stream {stream} step {step}: safe point");
            }
        }
    }
}

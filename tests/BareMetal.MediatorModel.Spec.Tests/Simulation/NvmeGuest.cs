using System.Buffers.Binary;
using BareMetal.MediatorModel.Simulation.Ahci;
using BareMetal.MediatorModel.Simulation.Engine;
using BareMetal.MediatorModel.Simulation.Generated;

namespace BareMetal.MediatorModel.Spec.Tests.Simulation;

/// <summary>An NVMe guest driver over the generated mediator: admin queue bring-up (AQA, ASQ, ACQ,
/// CC.EN), Create I/O CQ and SQ through the admin queue, then random reads and writes (512-byte
/// logical blocks, 4 KiB aligned) at a random queue depth on I/O queue 1. Its interrupt handler walks
/// the completion queues by phase tag and rings the CQ head doorbells.</summary>
internal sealed class NvmeGuest : BlockGuest
{
    private const int Cc = 0x14, Aqa = 0x24, Asq = 0x28, Acq = 0x30;
    private const uint AdminSq = 0x1000, AdminCq = 0x2000, IoSq = 0x3000, IoCq = 0x4000;
    private const int Entries = 16;

    private readonly int _depth;
    private readonly int[] _sqTail = new int[2];
    private readonly int[] _cqHead = new int[2];
    private readonly int[] _phase = [1, 1];
    private int _stage;
    private bool _thinking;

    public NvmeGuest(Simulator sim, GuestMemory memory, GeneratedBlockHost host, int seed, long blocks, int requests)
        : base(sim, memory, host, seed, blocks, requests, maxBlocks: 8)
    {
        _depth = 1 + Rng.Next(Entries - 2);
    }

    /// <summary>Admin bring-up finished and every I/O request completed.</summary>
    public bool Done => _stage == 2 && Issued == Requests && Outstanding == 0;

    public override void Start()
    {
        Host.Write(Aqa, 4, ((Entries - 1u) << 16) | (Entries - 1u));
        Host.Write(Asq, 8, AdminSq);
        Host.Write(Acq, 8, AdminCq);
        Host.Write(Cc, 4, (4u << 20) | (6u << 16) | 1);
        Submit(0, 0x05, cid: 100, prp1: IoCq, cdw10: ((Entries - 1u) << 16) | 1, cdw11: 0x3);
    }

    public override void OnInterrupt()
    {
        for (var q = 0; q < 2; q++)
        {
            var cqBase = q == 0 ? AdminCq : IoCq;
            var consumed = false;
            while (true)
            {
                var entry = cqBase + (uint)(_cqHead[q] * 16);
                var status = BinaryPrimitives.ReadUInt16LittleEndian(Memory.Control(entry + 14, 2));
                if ((status & 1) != _phase[q])
                {
                    break;
                }

                var cid = BinaryPrimitives.ReadUInt16LittleEndian(Memory.Control(entry + 12, 2));
                if ((status >> 1) != 0)
                {
                    Problems.Add($"command {cid} failed with status 0x{status >> 1:X}");
                }

                _cqHead[q]++;
                if (_cqHead[q] == Entries)
                {
                    _cqHead[q] = 0;
                    _phase[q] ^= 1;
                }

                consumed = true;
                OnCompletion(q, cid);
            }

            if (consumed)
            {
                Host.Write(0x1004 + (q * 8), 4, (ulong)_cqHead[q]);
            }
        }

        Refill();
    }

    public override void OnEvent(int kind, long arg)
    {
        _thinking = false;
        Refill();
    }

    private void OnCompletion(int queue, int cid)
    {
        if (queue == 0)
        {
            if (cid == 100)
            {
                Submit(0, 0x01, cid: 101, prp1: IoSq, cdw10: ((Entries - 1u) << 16) | 1, cdw11: (1u << 16) | 1);
            }
            else if (cid == 101)
            {
                _stage = 2;
            }

            return;
        }

        Finish(cid);
    }

    private void Refill()
    {
        if (_stage != 2 || _thinking)
        {
            return;
        }

        while (Issued < Requests && Outstanding < _depth)
        {
            var slot = Enumerable.Range(0, Entries).First(s => !IsOutstanding(s));
            var r = NewRequest(slot);
            if (r is null)
            {
                break;
            }

            var lba = (ulong)(r.First * 8);
            Submit(1, r.Write ? (byte)0x01 : (byte)0x02, (ushort)slot, (ulong)GuestMemory.GuestBuffer(slot), (uint)lba, (uint)(lba >> 32), (uint)((r.Count * 8) - 1));
            if (Rng.Next(3) == 0)
            {
                // Think between submissions: the queue drains and fills at random moments.
                _thinking = true;
                Sim.After(Think(), this, 0);
                return;
            }
        }
    }

    private void Submit(int queue, byte opcode, ushort cid, ulong prp1 = 0, uint cdw10 = 0, uint cdw11 = 0, uint cdw12 = 0)
    {
        var sq = queue == 0 ? AdminSq : IoSq;
        var entry = Memory.Control(sq + (uint)(_sqTail[queue] * 64), 64);
        entry.Clear();
        entry[0] = opcode;
        BinaryPrimitives.WriteUInt16LittleEndian(entry[2..], cid);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[4..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[24..], prp1);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[40..], cdw10);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[44..], cdw11);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[48..], cdw12);
        _sqTail[queue] = (_sqTail[queue] + 1) % Entries;
        Host.Write(0x1000 + (queue * 8), 4, (ulong)_sqTail[queue]);
    }
}

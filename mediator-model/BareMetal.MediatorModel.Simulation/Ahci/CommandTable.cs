namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>Reads and writes command headers and tables in memory (AHCI 1.3.1 sections 4.2.2-4.2.3),
/// the structures both the guest driver and the mediator build and the HBA fetches.</summary>
public static class CommandTable
{
    /// <summary>DW0 bit 6: the command writes to the device.</summary>
    private const uint HeaderWrite = 1u << 6;

    /// <summary>DW0 bits 4:0: command FIS length in dwords (5 for a Register H2D FIS).</summary>
    private const uint FisDwords = 5;

    /// <summary>DBC bits 21:0 hold byte count - 1.</summary>
    private const uint DbcMask = 0x3F_FFFF;

    /// <summary>Most PRD entries the model accepts per command.</summary>
    public const int MaxPrds = 16;

    /// <summary>Fills slot <paramref name="slot"/> of the list at <paramref name="clb"/> with a one-PRD command.</summary>
    public static void Build(GuestMemory memory, uint clb, uint tables, int slot, in CommandFis fis, long buffer, int bytes)
    {
        var header = clb + ((uint)slot * AhciBits.HeaderBytes);
        var table = tables + ((uint)slot * GuestMemory.TableBytes);
        var prdtl = bytes > 0 ? 1u : 0u;
        memory.WriteUInt32(header, FisDwords | (fis.IsWrite ? HeaderWrite : 0) | (prdtl << 16));
        memory.WriteUInt32(header + 4, 0); // PRDBC, written back by the HBA
        memory.WriteUInt32(header + 8, table);
        memory.WriteUInt32(header + 12, 0);
        fis.Write(memory.Control(table, CommandFis.Length));
        if (bytes > 0)
        {
            var prd = table + AhciBits.PrdtOffset;
            memory.WriteUInt32(prd, (uint)buffer);
            memory.WriteUInt32(prd + 4, (uint)(buffer >> 32));
            memory.WriteUInt32(prd + 8, 0);
            memory.WriteUInt32(prd + 12, (uint)(bytes - 1) & DbcMask);
        }
    }

    /// <summary>Fetches slot <paramref name="slot"/>: the decoded FIS, its buffer and byte count.
    /// The buffer must be contiguous (PRDs that follow each other), as our drivers build it.</summary>
    public static DecodedCommand Fetch(GuestMemory memory, uint clb, int slot)
    {
        var header = clb + ((uint)slot * AhciBits.HeaderBytes);
        var dw0 = memory.ReadUInt32(header);
        var prdtl = (int)(dw0 >> 16);
        if (prdtl > MaxPrds)
        {
            throw new AhciProtocolException($"slot {slot}: PRDTL {prdtl} exceeds {MaxPrds}");
        }

        var table = memory.ReadUInt32(header + 8);
        if (memory.ReadUInt32(header + 12) != 0 || table % 128 != 0)
        {
            throw new AhciProtocolException($"slot {slot}: command table 0x{table:X} must be 128-byte aligned in control memory");
        }

        var fis = CommandFis.Read(memory.Control(table, CommandFis.Length));
        long buffer = 0, bytes = 0;
        for (var i = 0; i < prdtl; i++)
        {
            var prd = table + AhciBits.PrdtOffset + ((uint)i * AhciBits.PrdBytes);
            var dba = memory.ReadUInt32(prd) | ((long)memory.ReadUInt32(prd + 4) << 32);
            var count = (memory.ReadUInt32(prd + 12) & DbcMask) + 1L;
            if (i == 0)
            {
                buffer = dba;
            }
            else if (dba != buffer + bytes)
            {
                throw new AhciProtocolException($"slot {slot}: scattered PRDs are not modelled");
            }

            bytes += count;
        }

        var expected = (long)fis.Sectors * AhciBits.SectorBytes;
        if (fis.IsReadOrWrite && bytes != expected)
        {
            throw new AhciProtocolException($"slot {slot}: PRDs describe {bytes} bytes, the FIS asks for {expected}");
        }

        return new DecodedCommand(slot, fis, buffer, expected);
    }
}

using System.Buffers.Binary;

namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>Physical memory as the HBA's DMA sees it. Control structures (command lists, tables,
/// received-FIS areas) are real bytes; data buffers are modelled one 64-bit content tag per 4 KiB
/// page (the block's version), which is all the correctness properties need. Guest and VMM share one
/// address space (identity mapping, as in the seed); the VMM's areas are the ones e820 hides.</summary>
public sealed class GuestMemory
{
    /// <summary>Bytes of control memory: guest structures below 0x8000, the VMM's from 0x8000.</summary>
    public const int ControlBytes = 0x10000;

    /// <summary>Guest driver: command list, received-FIS area, 32 command tables of 0x200 bytes.</summary>
    public const uint GuestClb = 0x0000;

    public const uint GuestFb = 0x0400;

    public const uint GuestTables = 0x1000;

    /// <summary>The VMM's own (shadow) command list, FIS area and tables, reserved through e820.</summary>
    public const uint VmmClb = 0x8000;

    public const uint VmmFb = 0x8400;

    public const uint VmmTables = 0x9000;

    /// <summary>Size of one command table: 0x80 header + up to 16 PRD entries.</summary>
    public const uint TableBytes = 0x200;

    /// <summary>Data pages start here: guest slot buffers (4 MiB each) then the VMM's copy buffers.</summary>
    public const long DataBase = 0x100000;

    public const int PageBytes = 4096;

    private readonly byte[] _control = new byte[ControlBytes];
    private readonly long[]? _pages;

    /// <param name="dataPages">Pages of data memory; 0 when contents are not tracked.</param>
    public GuestMemory(int dataPages)
    {
        _pages = dataPages > 0 ? new long[dataPages] : null;
    }

    public bool TracksContents => _pages is not null;

    /// <summary>Address of guest slot <paramref name="slot"/>'s data buffer.</summary>
    public static long GuestBuffer(int slot) => DataBase + ((long)slot * AhciBits.MaxCommandBytes);

    /// <summary>Address of VMM buffer <paramref name="index"/> (copy chunks, redirected reads).</summary>
    public static long VmmBuffer(int index) => DataBase + ((long)(AhciBits.Slots + index) * AhciBits.MaxCommandBytes);

    /// <summary>Pages needed for the guest's 32 slots and <paramref name="vmmBuffers"/> VMM buffers.</summary>
    public static int PagesFor(int vmmBuffers) => (AhciBits.Slots + vmmBuffers) * (AhciBits.MaxCommandBytes / PageBytes);

    public Span<byte> Control(uint address, int length)
    {
        if (address > ControlBytes || length < 0 || length > ControlBytes - address)
        {
            throw new AhciProtocolException($"control access 0x{address:X}+{length} outside control memory");
        }

        return _control.AsSpan((int)address, length);
    }

    public uint ReadUInt32(uint address) => BinaryPrimitives.ReadUInt32LittleEndian(Control(address, 4));

    public void WriteUInt32(uint address, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Control(address, 4), value);

    /// <summary>Content tags of <paramref name="count"/> pages at <paramref name="address"/>.</summary>
    public Span<long> Pages(long address, int count)
    {
        if (_pages is null)
        {
            return [];
        }

        var first = (address - DataBase) / PageBytes;
        if (address < DataBase || (address - DataBase) % PageBytes != 0 || count < 0 || first + count > _pages.Length)
        {
            throw new AhciProtocolException($"data buffer 0x{address:X} ({count} pages) outside data memory or not page aligned");
        }

        return _pages.AsSpan((int)first, count);
    }
}

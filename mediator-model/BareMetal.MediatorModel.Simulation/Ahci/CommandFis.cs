using System.Buffers.Binary;

namespace BareMetal.MediatorModel.Simulation.Ahci;

/// <summary>A Register Host-to-Device FIS (type 0x27), the 20 bytes at the start of a command table,
/// decoded as far as I/O interpretation needs: command, 48-bit LBA, sector count, NCQ tag.</summary>
public readonly record struct CommandFis(AtaCommand Command, long Lba, int Sectors, int Tag)
{
    /// <summary>FIS type of a Register H2D FIS.</summary>
    public const byte TypeRegisterH2D = 0x27;

    /// <summary>Bytes of a Register H2D FIS.</summary>
    public const int Length = 20;

    /// <summary>Byte 1 bit 7: this FIS carries a command (not a device control update).</summary>
    private const byte CommandBit = 0x80;

    /// <summary>Device register bit 6: LBA addressing.</summary>
    private const byte LbaMode = 0x40;

    public bool IsQueued => Command is AtaCommand.ReadFpdmaQueued or AtaCommand.WriteFpdmaQueued;

    public bool IsWrite => Command is AtaCommand.WriteDmaExt or AtaCommand.WriteFpdmaQueued;

    public bool IsReadOrWrite => Command is AtaCommand.ReadDmaExt or AtaCommand.WriteDmaExt or AtaCommand.ReadFpdmaQueued or AtaCommand.WriteFpdmaQueued;

    public void Write(Span<byte> fis)
    {
        if (fis.Length < Length)
        {
            throw new ArgumentException("a Register H2D FIS needs 20 bytes", nameof(fis));
        }

        unchecked // the FIS splits fields into bytes: truncation is the point
        {
            fis[..Length].Clear();
            fis[0] = TypeRegisterH2D;
            fis[1] = CommandBit;
            fis[2] = (byte)Command;
            fis[4] = (byte)Lba;
            fis[5] = (byte)(Lba >> 8);
            fis[6] = (byte)(Lba >> 16);
            fis[7] = LbaMode;
            fis[8] = (byte)(Lba >> 24);
            fis[9] = (byte)(Lba >> 32);
            fis[10] = (byte)(Lba >> 40);
            if (IsQueued)
            {
                // FPDMA QUEUED: the count moves to FEATURES (7:0 and 15:8) and the tag to COUNT bits 7:3.
                fis[3] = (byte)Sectors;
                fis[11] = (byte)(Sectors >> 8);
                fis[12] = (byte)(Tag << 3);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(fis[12..], (ushort)Sectors);
            }
        }
    }

    /// <summary>Decodes a FIS; throws <see cref="AhciProtocolException"/> on anything a real device would abort.</summary>
    public static CommandFis Read(ReadOnlySpan<byte> fis)
    {
        if (fis.Length < Length)
        {
            throw new AhciProtocolException($"command FIS is {fis.Length} bytes, needs {Length}");
        }

        if (fis[0] != TypeRegisterH2D || (fis[1] & CommandBit) == 0)
        {
            throw new AhciProtocolException($"not a Register H2D command FIS: type 0x{fis[0]:X2} flags 0x{fis[1]:X2}");
        }

        var command = (AtaCommand)fis[2];
        var lba = fis[4] | ((long)fis[5] << 8) | ((long)fis[6] << 16) | ((long)fis[8] << 24) | ((long)fis[9] << 32) | ((long)fis[10] << 40);
        int sectors, tag = 0;
        switch (command)
        {
            case AtaCommand.ReadFpdmaQueued or AtaCommand.WriteFpdmaQueued:
                sectors = fis[3] | (fis[11] << 8);
                tag = fis[12] >> 3;
                break;
            case AtaCommand.ReadDmaExt or AtaCommand.WriteDmaExt:
                sectors = BinaryPrimitives.ReadUInt16LittleEndian(fis[12..]);
                break;
            case AtaCommand.FlushCacheExt or AtaCommand.Identify:
                sectors = 0;
                break;
            default:
                throw new AhciProtocolException($"unsupported ATA command 0x{fis[2]:X2}");
        }

        // ATA: a count of 0 means 65536 sectors for the 48-bit commands.
        if (sectors == 0 && command is not (AtaCommand.FlushCacheExt or AtaCommand.Identify))
        {
            sectors = 65536;
        }

        return new CommandFis(command, lba, sectors, tag);
    }
}

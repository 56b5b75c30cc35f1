using System.Text;

namespace BareMetal.ImageStore.Formats.Testing.Boot;

/// <summary>
/// A tiny bootable raw disk for end-to-end tests: its MBR boot sector prints a marker line to the first
/// serial port (COM1, I/O port 0x3F8) and halts. Any BIOS (SeaBIOS in QEMU, iPXE's `sanboot`) that
/// loads it to 0000:7C00 and jumps there shows the marker on `-serial stdio`. The code is 40 bytes of
/// hand-assembled 16-bit real-mode x86, listed below byte by byte; the marker follows it.
/// </summary>
public static class MarkerBootDisk
{
    /// <summary>The disk size the end-to-end tests use (the sector after the MBR is all zeros).</summary>
    public const long DefaultSize = 32L << 20;

    /// <summary>Room for the marker: it sits between the code and the partition table at offset 446.</summary>
    public const int MaxMarkerLength = 446 - CodeLength - 3;

    /// <summary>Where the BIOS loads the boot sector (linear address 0x7C00, segment 0).</summary>
    private const int LoadAddress = 0x7C00;

    private const int CodeLength = 40;

    /// <summary>
    /// The boot sector: code, then "marker\r\n\0", zeros, and the 0x55 0xAA signature at 510.
    /// </summary>
    public static byte[] BootSector(string marker)
    {
        ArgumentNullException.ThrowIfNull(marker);
        if (marker.Length > MaxMarkerLength || marker.Any(c => c is < ' ' or > '~'))
        {
            throw new ArgumentException($"marker must be 0..{MaxMarkerLength} printable ASCII characters", nameof(marker));
        }
        const int msg = LoadAddress + CodeLength;
        byte[] code =
        [
            0xFA,                               // 00: cli                 no interrupts: nothing of the BIOS runs under us
            0x31, 0xC0,                         // 01: xor ax, ax
            0x8E, 0xD8,                         // 03: mov ds, ax          DS=0 so [si] addresses 0000:7Cxx
            0x8E, 0xD0,                         // 05: mov ss, ax
            0xBC, 0x00, 0x7C,                   // 07: mov sp, 0x7C00      stack grows down below the sector
            0xFC,                               // 0A: cld                 lodsb counts upwards
            0xBE, msg & 0xFF, msg >> 8,         // 0B: mov si, msg         msg = 0x7C00 + 40
            // next:
            0xAC,                               // 0E: lodsb               al = [si++]
            0x84, 0xC0,                         // 0F: test al, al
            0x74, 0x12,                         // 11: jz done (+18 -> 0x25) NUL ends the message
            0x88, 0xC4,                         // 13: mov ah, al          keep the character
            0xBA, 0xFD, 0x03,                   // 15: mov dx, 0x3FD       COM1 line status register
            // wait:
            0xEC,                               // 18: in al, dx
            0xA8, 0x20,                         // 19: test al, 0x20       THRE: transmit holding register empty
            0x74, 0xFB,                         // 1B: jz wait (-5 -> 0x18)
            0x88, 0xE0,                         // 1D: mov al, ah
            0xBA, 0xF8, 0x03,                   // 1F: mov dx, 0x3F8       COM1 transmit holding register
            0xEE,                               // 22: out dx, al
            0xEB, 0xE9,                         // 23: jmp next (-23 -> 0x0E)
            // done:
            0xF4,                               // 25: hlt                 interrupts are off: stays here
            0xEB, 0xFD,                         // 26: jmp done (-3 -> 0x25) in case an NMI wakes it
            // 28: msg
        ];
        if (code.Length != CodeLength)
        {
            throw new InvalidOperationException($"boot code is {code.Length} bytes, expected {CodeLength}");
        }
        var sector = new byte[512];
        code.CopyTo(sector, 0);
        var text = Encoding.ASCII.GetBytes(marker + "\r\n");
        text.CopyTo(sector, CodeLength);
        sector[CodeLength + text.Length] = 0;
        sector[510] = 0x55; // boot signature, checked by every BIOS
        sector[511] = 0xAA;
        return sector;
    }

    /// <summary>Writes a sparse raw disk of <paramref name="size"/> bytes whose boot sector prints <paramref name="marker"/>.</summary>
    public static void Write(string path, string marker, long size = DefaultSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 512);
        var sector = BootSector(marker);
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.SetLength(size);
        file.Write(sector);
    }
}

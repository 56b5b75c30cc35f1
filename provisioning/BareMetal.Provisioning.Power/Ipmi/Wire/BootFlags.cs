namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>
/// System boot options parameter 5, boot flags (IPMI 2.0 table 28-14), the 5 bytes after the parameter selector.
/// Byte 1: bit 7 valid, bit 6 persistent (else next boot only), bit 5 EFI (else legacy).
/// Byte 2: bits 5:2 boot device selector.
/// </summary>
public readonly record struct BootFlags(bool Valid, bool Persistent, bool Efi, byte DeviceSelector)
{
    public const byte ParameterSelector = 5;
    public const byte DeviceNone = 0x0;
    public const byte DevicePxe = 0x1;
    public const byte DeviceDisk = 0x2;
    public const byte DeviceCdrom = 0x5;
    public const byte DeviceBiosSetup = 0x6;

    public byte[] Write() =>
    [
        (byte)((Valid ? 0x80 : 0) | (Persistent ? 0x40 : 0) | (Efi ? 0x20 : 0)),
        (byte)((DeviceSelector & 0x0F) << 2),
        0, 0, 0,
    ];

    public static BootFlags Read(ReadOnlySpan<byte> data)
    {
        if (data.Length < 2)
        {
            throw IpmiProtocolException.Create(IpmiProtocolError.Truncated, "boot flags shorter than 2 bytes", data);
        }
        return new BootFlags((data[0] & 0x80) != 0, (data[0] & 0x40) != 0, (data[0] & 0x20) != 0, (byte)((data[1] >> 2) & 0x0F));
    }
}

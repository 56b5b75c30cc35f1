namespace BareMetal.ImageStore.Iscsi.Scsi;

/// <summary>
/// A CHECK CONDITION's sense: key, additional sense code and qualifier (SPC-4 4.5), sent as fixed-format
/// sense data (response code 0x70) in the SCSI Response's data segment.
/// </summary>
public readonly record struct ScsiSense(byte Key, byte Asc, byte Ascq)
{
    public const byte KeyNoSense = 0x00;
    public const byte KeyMediumError = 0x03;
    public const byte KeyHardwareError = 0x04;
    public const byte KeyIllegalRequest = 0x05;
    public const byte KeyDataProtect = 0x07;
    public const byte KeyAbortedCommand = 0x0b;

    public static readonly ScsiSense InvalidOpcode = new(KeyIllegalRequest, 0x20, 0x00);
    public static readonly ScsiSense LbaOutOfRange = new(KeyIllegalRequest, 0x21, 0x00);
    public static readonly ScsiSense InvalidFieldInCdb = new(KeyIllegalRequest, 0x24, 0x00);
    public static readonly ScsiSense LogicalUnitNotSupported = new(KeyIllegalRequest, 0x25, 0x00);
    public static readonly ScsiSense InvalidFieldInParameterList = new(KeyIllegalRequest, 0x26, 0x00);
    public static readonly ScsiSense ParameterListLengthError = new(KeyIllegalRequest, 0x1a, 0x00);
    public static readonly ScsiSense WriteProtected = new(KeyDataProtect, 0x27, 0x00);
    public static readonly ScsiSense UnrecoveredReadError = new(KeyMediumError, 0x11, 0x00);
    public static readonly ScsiSense WriteError = new(KeyMediumError, 0x0c, 0x00);
    public static readonly ScsiSense DataPhaseError = new(KeyAbortedCommand, 0x4b, 0x00);
    public static readonly ScsiSense Miscompare = new(0x0e, 0x1d, 0x00);
    public static readonly ScsiSense SavingParametersNotSupported = new(KeyIllegalRequest, 0x39, 0x00);

    /// <summary>Fixed-format sense data, 18 bytes.</summary>
    public byte[] ToFixedFormat()
    {
        var b = new byte[18];
        b[0] = 0x70;        // current error, fixed format
        b[2] = Key;
        b[7] = 10;          // additional sense length: bytes 8..17
        b[12] = Asc;
        b[13] = Ascq;
        return b;
    }

    public override string ToString() => $"sense {Key:x2}/{Asc:x2}/{Ascq:x2}";
}

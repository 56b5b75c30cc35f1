namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>RMCP+ and RAKP message status codes (IPMI 2.0 table 13-15) with the spec's names.</summary>
public static class RakpStatus
{
    public const byte NoErrors = 0x00;
    public const byte InvalidIntegrityCheckValue = 0x0F;

    public static string Describe(byte code) => $"{Name(code)} (0x{code:x2})";

    public static string Name(byte code) => code switch
    {
        0x00 => "No errors",
        0x01 => "Insufficient resources to create a session",
        0x02 => "Invalid Session ID",
        0x03 => "Invalid payload type",
        0x04 => "Invalid authentication algorithm",
        0x05 => "Invalid integrity algorithm",
        0x06 => "No matching authentication payload",
        0x07 => "No matching integrity payload",
        0x08 => "Inactive Session ID",
        0x09 => "Invalid role",
        0x0A => "Unauthorized role or privilege level requested",
        0x0B => "Insufficient resources to create a session at the requested role",
        0x0C => "Invalid name length",
        0x0D => "Unauthorized name",
        0x0E => "Unauthorized GUID",
        0x0F => "Invalid integrity check value",
        0x10 => "Invalid confidentiality algorithm",
        0x11 => "No Cipher Suite match with proposed security algorithms",
        0x12 => "Illegal or unrecognized parameter",
        _ => "Reserved status code",
    };

    /// <summary>Whether a status means the credentials (not the network or the BMC's capacity) are wrong.</summary>
    public static bool IsAuthentication(byte code) => code is 0x0D or 0x0F or 0x0E or 0x0A or 0x09;

    /// <summary>Whether a status means the BMC lacks room for another session now (worth retrying later).</summary>
    public static bool IsBusy(byte code) => code is 0x01 or 0x0B;
}

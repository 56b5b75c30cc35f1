namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>Completion codes with the names the IPMI 2.0 specification gives them (table 5-2).</summary>
public static class IpmiCompletionCode
{
    public const byte Normal = 0x00;
    public const byte NodeBusy = 0xC0;
    public const byte InvalidCommand = 0xC1;
    public const byte Timeout = 0xC3;
    public const byte InvalidDataField = 0xCC;
    public const byte CannotExecuteDuplicate = 0xCF;
    public const byte BmcInitializing = 0xD2;
    public const byte InsufficientPrivilege = 0xD4;
    public const byte NotSupportedInPresentState = 0xD5;
    public const byte SubFunctionDisabled = 0xD6;

    /// <summary>The spec's words for a completion code, followed by its value.</summary>
    public static string Describe(byte code, byte command = 0) => $"{Name(code, command)} (0x{code:x2})";

    public static string Name(byte code, byte command = 0) => code switch
    {
        0x00 => "Command Completed Normally",
        0x80 when command == IpmiCommand.SetSystemBootOptions => "Parameter not supported",
        0x81 when command == IpmiCommand.SetSystemBootOptions => "Attempt to set the 'set in progress' value when not in the 'set complete' state",
        0x82 when command == IpmiCommand.SetSystemBootOptions => "Attempt to write a read-only parameter",
        0x80 when command == IpmiCommand.SetSessionPrivilegeLevel => "Requested level not available for this user",
        0x81 when command == IpmiCommand.SetSessionPrivilegeLevel => "Requested level exceeds Channel and/or User Privilege Limit",
        0x87 when command == IpmiCommand.CloseSession => "Invalid Session ID in request",
        0xC0 => "Node Busy",
        0xC1 => "Invalid Command",
        0xC2 => "Command invalid for given LUN",
        0xC3 => "Timeout while processing command",
        0xC4 => "Out of space",
        0xC5 => "Reservation Canceled or Invalid Reservation ID",
        0xC6 => "Request data truncated",
        0xC7 => "Request data length invalid",
        0xC8 => "Request data field length limit exceeded",
        0xC9 => "Parameter out of range",
        0xCA => "Cannot return number of requested data bytes",
        0xCB => "Requested Sensor, data, or record not present",
        0xCC => "Invalid data field in Request",
        0xCD => "Command illegal for specified sensor or record type",
        0xCE => "Command response could not be provided",
        0xCF => "Cannot execute duplicated request",
        0xD0 => "Command response could not be provided. SDR Repository in update mode",
        0xD1 => "Command response could not be provided. Device in firmware update mode",
        0xD2 => "Command response could not be provided. BMC initialization or initialization agent in progress",
        0xD3 => "Destination unavailable",
        0xD4 => "Cannot execute command due to insufficient privilege level",
        0xD5 => "Command not supported in present state",
        0xD6 => "Cannot execute command. Command sub-function has been disabled or is unavailable",
        0xFF => "Unspecified error",
        _ => "Device specific (OEM) completion code",
    };
}

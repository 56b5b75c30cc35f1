namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>The IPMI commands this client sends (IPMI 2.0 appendix G).</summary>
public static class IpmiCommand
{
    // NetFn Chassis
    public const byte GetChassisStatus = 0x01;
    public const byte ChassisControl = 0x02;
    public const byte SetSystemBootOptions = 0x08;
    public const byte GetSystemBootOptions = 0x09;

    // NetFn App
    public const byte GetChannelAuthenticationCapabilities = 0x38;
    public const byte SetSessionPrivilegeLevel = 0x3B;
    public const byte CloseSession = 0x3C;
}

namespace BareMetal.Provisioning.Power.Ipmi;

/// <summary>Chassis Control request data byte (IPMI 2.0 table 28-4).</summary>
public enum ChassisControl : byte
{
    PowerDown = 0x00,
    PowerUp = 0x01,
    PowerCycle = 0x02,
    HardReset = 0x03,
    PulseDiagnosticInterrupt = 0x04,

    /// <summary>"Initiate a soft-shutdown of OS via ACPI by emulating a fatal overtemperature".</summary>
    SoftShutdown = 0x05,
}

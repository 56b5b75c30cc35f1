namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>RMCP message class (byte 3 of the RMCP header; DSP0136 3.2.2.1).</summary>
public enum RmcpClass : byte
{
    /// <summary>ASF: presence ping and pong.</summary>
    Asf = 0x06,

    /// <summary>IPMI (1.5 or 2.0 session wrapper follows).</summary>
    Ipmi = 0x07,
}

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>What was wrong with a datagram that claimed to be RMCP/IPMI.</summary>
public enum IpmiProtocolError
{
    Truncated = 1,
    BadRmcpHeader = 2,
    UnsupportedAuthType = 3,
    BadLength = 4,
    BadChecksum = 5,
    BadIntegrity = 6,
    BadPadding = 7,
    UnexpectedPayload = 8,
    BadAsfMessage = 9,
}

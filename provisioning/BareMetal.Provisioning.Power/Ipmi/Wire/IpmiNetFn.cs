namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>Network function codes of requests (IPMI 2.0 table 5-1); a response's is the request's + 1.</summary>
public enum IpmiNetFn : byte
{
    Chassis = 0x00,
    App = 0x06,
}

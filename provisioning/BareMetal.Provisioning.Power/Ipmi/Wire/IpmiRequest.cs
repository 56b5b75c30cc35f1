namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>One IPMI request: network function, command and its data bytes.</summary>
public sealed record IpmiRequest(IpmiNetFn NetFn, byte Command, byte[] Data)
{
    public string Name => $"netfn 0x{(byte)NetFn:x2} cmd 0x{Command:x2}";
}

namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>One IPMI response: the echo of the request's netfn/cmd/sequence, its completion code and data.</summary>
public sealed record IpmiResponse(byte NetFn, byte Command, byte Sequence, byte CompletionCode, byte[] Data)
{
    public bool Succeeded => CompletionCode == 0;
}

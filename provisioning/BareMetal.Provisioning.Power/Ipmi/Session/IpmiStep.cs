using BareMetal.Provisioning.Power.Ipmi.Wire;

namespace BareMetal.Provisioning.Power.Ipmi.Session;

/// <summary>One outcome of <see cref="IpmiSession"/>: an instruction to the shell.</summary>
public readonly record struct IpmiStep(IpmiStepKind Kind, byte[]? Datagram = null, IpmiResponse? Response = null, PowerException? Error = null, string? Dropped = null)
{
    public static IpmiStep Ignore(string why) => new(IpmiStepKind.Ignore, Dropped: why);

    public static IpmiStep Send(byte[] datagram) => new(IpmiStepKind.Send, datagram);

    public static IpmiStep Fail(PowerFailure failure, string message) => new(IpmiStepKind.Failed, Error: new PowerException(failure, message));
}

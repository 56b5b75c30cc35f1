using System.Security.Cryptography;
using BareMetal.Provisioning.Power.Ipmi.Wire;

namespace BareMetal.Provisioning.Power.Ipmi.Session;

/// <summary>How an RMCP+ session is opened and how patiently a silent BMC is waited for.</summary>
public sealed record IpmiSessionOptions
{
    public required BmcCredentials Credentials { get; init; }

    public CipherSuite Suite { get; init; } = CipherSuite.Suite3;

    /// <summary>Requested role: 4 = Administrator (ipmitool's default), 3 = Operator (enough for chassis control).</summary>
    public byte Privilege { get; init; } = 4;

    /// <summary>How long one datagram is waited for before it is sent again.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How many times a datagram is sent in all before the BMC counts as unreachable.</summary>
    public int Attempts { get; init; } = 4;

    /// <summary>Fills Rm, the console session ID and AES IVs; tests pass a seeded one.</summary>
    public Action<Span<byte>> Random { get; init; } = RandomNumberGenerator.Fill;
}

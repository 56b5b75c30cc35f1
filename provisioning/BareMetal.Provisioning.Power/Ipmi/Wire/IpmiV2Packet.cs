namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>A parsed RMCP+ (IPMI 2.0) session packet; <see cref="Payload"/> is still encrypted when <see cref="Encrypted"/>.</summary>
public sealed record IpmiV2Packet(IpmiPayloadType PayloadType, bool Encrypted, bool Authenticated, uint SessionId, uint Sequence, byte[] Payload);

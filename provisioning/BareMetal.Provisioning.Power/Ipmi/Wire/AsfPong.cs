namespace BareMetal.Provisioning.Power.Ipmi.Wire;

/// <summary>An ASF Presence Pong: who answered the ping and whether it speaks IPMI.</summary>
public readonly record struct AsfPong(byte MessageTag, uint Iana, bool SupportsIpmi);

using BareMetal.Provisioning.Power.Ipmi.Wire;

namespace BareMetal.Provisioning.Power.Ipmi;

/// <summary>Where a node's IPMI BMC is and how to talk to it.</summary>
public sealed record IpmiBmcOptions
{
    public required string Host { get; init; }

    /// <summary>UDP port; 623 is the RMCP port every BMC listens on.</summary>
    public int Port { get; init; } = 623;

    public required BmcCredentials Credentials { get; init; }

    /// <summary>3 (HMAC-SHA1, AES-128) or 17 (HMAC-SHA256, AES-128).</summary>
    public int CipherSuite { get; init; } = 3;

    /// <summary>4 = Administrator, 3 = Operator.</summary>
    public byte Privilege { get; init; } = 4;

    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(1);

    public int Attempts { get; init; } = 4;

    /// <summary>Sets the EFI bit in the boot flags (UEFI nodes boot the device's EFI path, not its legacy one).</summary>
    public bool Efi { get; init; }

    internal CipherSuite Suite => Wire.CipherSuite.FromId(CipherSuite);

    public override string ToString() => $"ipmi://{Credentials.UserName}@{Host}:{Port}";
}

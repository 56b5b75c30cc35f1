using BareMetal.Provisioning.Core.Accounts;

namespace BareMetal.Provisioning.Core;

/// <summary>Knobs of <see cref="ProvisioningDatabase.OpenAsync"/>; the defaults suit a server.</summary>
public sealed record ProvisioningOptions
{
    /// <summary>Clock for every timestamp (tests inject a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Largest image an import accepts (bytes); default 1 TiB.</summary>
    public long MaxImageBytes { get; init; } = 1L << 40;

    /// <summary>PBKDF2 iterations for new password hashes.</summary>
    public int PasswordIterations { get; init; } = PasswordHasher.DefaultIterations;
}

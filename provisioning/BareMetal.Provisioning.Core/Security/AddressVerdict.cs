namespace BareMetal.Provisioning.Core.Security;

/// <summary>What the server can tell about whether an address is a given node's.</summary>
public enum AddressVerdict
{
    /// <summary>Nothing binds the address to any MAC here (routed, loopback, no lease and no neighbour entry).</summary>
    Unknown = 0,

    /// <summary>Our DHCP leased it to that MAC, the kernel's neighbour table maps it to that MAC, or the operator pinned it.</summary>
    Match = 1,

    /// <summary>The address belongs to another MAC, or the node's lease or pinned address is another one.</summary>
    Mismatch = 2,
}

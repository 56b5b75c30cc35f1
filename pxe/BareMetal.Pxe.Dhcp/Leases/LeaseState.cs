namespace BareMetal.Pxe.Dhcp.Leases;

/// <summary>
/// Persisted by name in the lease file: renaming a member breaks existing files (LeaseStateStabilityTests
/// guards this).
/// </summary>
public enum LeaseState
{
    /// <summary>Held for a client between our OFFER and its REQUEST.</summary>
    Offered = 1,

    /// <summary>ACKed: the client owns the address until it expires.</summary>
    Bound = 2,

    /// <summary>A client DECLINEd it (someone else answers ARP for it): kept out of the pool for a while.</summary>
    Declined = 3,
}

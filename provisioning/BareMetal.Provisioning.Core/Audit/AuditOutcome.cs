namespace BareMetal.Provisioning.Core.Audit;

/// <summary>How an audited action ended. Persisted by value (PersistedEnumStabilityTests guards it).</summary>
public enum AuditOutcome
{
    /// <summary>Done, or access granted.</summary>
    Allowed = 0,

    /// <summary>Refused: not who it claimed, not allowed, or not from the right place.</summary>
    Refused = 1,

    /// <summary>Allowed, but it failed (the request was bad, or the thing was not there).</summary>
    Failed = 2,
}

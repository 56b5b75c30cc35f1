namespace BareMetal.Provisioning.Core.Nodes;

/// <summary>How a node came into the registry. Persisted: never renumber.</summary>
public enum NodeOrigin
{
    /// <summary>Registered on its first DHCP or HTTP boot contact.</summary>
    Auto = 0,

    /// <summary>Added by a user (console, API).</summary>
    Manual = 1,
}

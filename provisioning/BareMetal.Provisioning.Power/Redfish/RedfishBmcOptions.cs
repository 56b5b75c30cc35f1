namespace BareMetal.Provisioning.Power.Redfish;

/// <summary>Where a node's Redfish service is, how to log in, and how its certificate is checked.</summary>
public sealed record RedfishBmcOptions
{
    /// <summary>The service's base, e.g. https://10.0.0.5 (the driver appends /redfish/v1).</summary>
    public required Uri BaseUri { get; init; }

    public required BmcCredentials Credentials { get; init; }

    public RedfishAuth Auth { get; init; } = RedfishAuth.Session;

    public RedfishTlsMode Tls { get; init; } = RedfishTlsMode.SystemTrust;

    /// <summary>SHA-256 fingerprint (hex, colons optional) for <see cref="RedfishTlsMode.Pinned"/>.</summary>
    public string? PinnedSha256 { get; init; }

    /// <summary>The ComputerSystem's Id when the service has several (null: the only, or first, member).</summary>
    public string? SystemId { get; init; }

    /// <summary>How long one HTTP request may take before the BMC counts as unreachable.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public override string ToString() => $"redfish {Credentials.UserName}@{BaseUri}";
}

namespace BareMetal.Provisioning.Power.Redfish;

/// <summary>How a BMC's TLS certificate is checked (per BMC: most ship self-signed ones).</summary>
public enum RedfishTlsMode
{
    /// <summary>The system's trust store and host name check (the default).</summary>
    SystemTrust = 0,

    /// <summary>Exactly the certificate whose SHA-256 fingerprint is pinned, whoever signed it.</summary>
    Pinned = 1,

    /// <summary>Any certificate: explicitly insecure, for a lab.</summary>
    Insecure = 2,
}

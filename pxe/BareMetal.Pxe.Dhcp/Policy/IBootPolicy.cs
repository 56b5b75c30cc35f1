namespace BareMetal.Pxe.Dhcp.Policy;

/// <summary>
/// Decides what a booting machine boots. Implemented by provisioning (per-node assignments); until then
/// <see cref="DefaultBootPolicy"/> chains every client to iPXE and every iPXE to its script URL.
/// </summary>
public interface IBootPolicy
{
    /// <summary>The boot file or URL for this client, or null to ignore it (no reply at all).</summary>
    BootDecision? Decide(BootRequest request);
}

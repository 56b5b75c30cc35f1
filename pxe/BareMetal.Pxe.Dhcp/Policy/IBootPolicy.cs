namespace BareMetal.Pxe.Dhcp.Policy;

/// <summary>
/// Decides what a booting machine boots. <see cref="DefaultBootPolicy"/> chains every client to iPXE and
/// every iPXE to its script URL; provisioning's implementation feeds it the boot files of the console's
/// settings, and each node's iPXE script then says what that node boots.
/// </summary>
public interface IBootPolicy
{
    /// <summary>The boot file or URL for this client, or null to ignore it (no reply at all).</summary>
    BootDecision? Decide(BootRequest request);
}

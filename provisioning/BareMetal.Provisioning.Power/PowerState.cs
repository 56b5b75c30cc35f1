namespace BareMetal.Provisioning.Power;

/// <summary>What the BMC says about the node's power; Unknown where nobody can tell (the manual driver).</summary>
public enum PowerState
{
    Unknown = 0,
    On = 1,
    Off = 2,
}

namespace BareMetal.TestSupport.Bmc;

/// <summary>One ComputerSystem of the test BMC, modelled in memory: power, boot override, ETag, reset history.</summary>
public sealed class RedfishSystemState
{
    private int _version = 1;

    public RedfishSystemState(string id)
    {
        Id = id;
    }

    public string Id { get; }

    public string PowerState { get; set; } = "Off";

    public string BootSourceOverrideTarget { get; set; } = "None";

    public string BootSourceOverrideEnabled { get; set; } = "Disabled";

    /// <summary>Every ResetType applied, in order.</summary>
    public List<string> Resets { get; } = [];

    /// <summary>How many times the node's power went from off to on (a cycle counts once).</summary>
    public int PowerOns { get; set; }

    public string ETag => $"W/\"{_version}\"";

    public void Changed() => _version++;
}

namespace BareMetal.Provisioning.Power;

/// <summary>The actions the orchestrator's bulk entry point can apply to many nodes.</summary>
public enum PowerAction
{
    Status = 0,
    On = 1,
    Off = 2,
    SoftOff = 3,
    Cycle = 4,
    BootNetworkOnce = 5,
    BootDiskPersistent = 6,
}

namespace BareMetal.Provisioning.Core.Events;

/// <summary>What changed.</summary>
public enum ProvisioningChangeKind
{
    NodeAdded = 0,
    NodeChanged = 1,
    NodeRemoved = 2,
    /// <summary>A deployment moved, started or its progress counters changed.</summary>
    DeploymentChanged = 3,
    ImageImported = 4,
    ImageUpdated = 5,
    ImageDeleted = 6,
    SettingChanged = 7,
}

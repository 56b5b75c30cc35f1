namespace BareMetal.Provisioning.Power.Ipmi.Session;

/// <summary>Where an RMCP+ session stands; the Await* states each have one datagram in flight.</summary>
public enum IpmiSessionState
{
    Idle,
    AwaitAuthCapabilities,
    AwaitOpenSession,
    AwaitRakp2,
    AwaitRakp4,
    AwaitPrivilege,
    Active,
    AwaitResponse,
    AwaitClose,
    Closed,
    Failed,
}

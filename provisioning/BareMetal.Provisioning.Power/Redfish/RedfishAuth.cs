namespace BareMetal.Provisioning.Power.Redfish;

/// <summary>How the driver authenticates: a Redfish session (X-Auth-Token, logged out on dispose) or HTTP basic auth on every request.</summary>
public enum RedfishAuth
{
    Session = 0,
    Basic = 1,
}

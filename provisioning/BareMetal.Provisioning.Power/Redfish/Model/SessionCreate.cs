namespace BareMetal.Provisioning.Power.Redfish.Model;

/// <summary>The body of a session login POST. Only ever serialised into a request body, never logged.</summary>
public sealed record SessionCreate(string UserName, string Password)
{
    public override string ToString() => $"SessionCreate {{ UserName = {UserName}, Password = *** }}";
}

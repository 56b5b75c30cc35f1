namespace BareMetal.Provisioning.Power;

/// <summary>A BMC user and password. ToString (and so every log line and interpolation) hides the password.</summary>
public sealed record BmcCredentials(string UserName, string Password)
{
    public override string ToString() => $"BmcCredentials {{ UserName = {UserName}, Password = *** }}";
}

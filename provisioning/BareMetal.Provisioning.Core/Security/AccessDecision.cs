namespace BareMetal.Provisioning.Core.Security;

/// <summary>An access decision and why, in words fit for the audit log and the refused client.</summary>
/// <param name="Mac">The node the request is for, when known.</param>
public readonly record struct AccessDecision(bool Allowed, string Reason, string? Mac = null)
{
    public static AccessDecision Allow(string mac, string reason) => new(true, reason, mac);

    public static AccessDecision Refuse(string reason, string? mac = null) => new(false, reason, mac);
}

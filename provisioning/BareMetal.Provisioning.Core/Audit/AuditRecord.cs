namespace BareMetal.Provisioning.Core.Audit;

/// <summary>
/// One audited event: who (an account, a token's name, a node's MAC, or "anonymous"), from where (the
/// client address), what (a short action name such as <c>export.open</c>, <c>login</c>,
/// <c>POST /api/v1/nodes/{mac}/assignment</c>), on what, and how it ended. Never holds a secret.
/// </summary>
public sealed record AuditRecord(
    DateTimeOffset At,
    string Actor,
    string? Source,
    string Action,
    string? Target,
    AuditOutcome Outcome,
    string? Detail = null);

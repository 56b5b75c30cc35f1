namespace BareMetal.Provisioning.Core.Audit;

/// <summary>An <see cref="AuditRecord"/> as stored, with its id (ascending in time).</summary>
public sealed record AuditEntry(long Id, AuditRecord Record);

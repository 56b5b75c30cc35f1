namespace BareMetal.ImageStore.Catalog.Data;

/// <summary>
/// One versioned schema step of one module ("catalog", "provisioning"). Versions of a module start at
/// 1 and never change once released: a new column is a new migration. Statements may use the
/// <see cref="SqlDialect.Translate"/> tokens.
/// </summary>
public sealed record Migration(string Module, int Version, string Description, IReadOnlyList<string> Statements);

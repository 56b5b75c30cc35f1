using BareMetal.ImageStore.Catalog.Data;

namespace BareMetal.ImageStore.Catalog;

/// <summary>
/// The catalog's schema, one migration per released change (never edit a released one: add the next).
/// Times are Unix milliseconds; format and status are the persisted enum values.
/// </summary>
public static class CatalogMigrations
{
    public const string Module = "catalog";

    public static IReadOnlyList<Migration> All { get; } =
    [
        new(Module, 1, "images table",
        [
            """
            CREATE TABLE images (
                id {identity},
                name TEXT NOT NULL,
                version INTEGER NOT NULL,
                format INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                virtual_size BIGINT NOT NULL,
                allocated_size BIGINT NOT NULL,
                file_size BIGINT NOT NULL,
                cluster_size INTEGER NULL,
                backing_chain TEXT NOT NULL,
                os_label TEXT NOT NULL,
                notes TEXT NOT NULL,
                path TEXT NOT NULL UNIQUE,
                imported_at BIGINT NOT NULL,
                status INTEGER NOT NULL,
                UNIQUE (name, version)
            )
            """,
        ]),
    ];
}

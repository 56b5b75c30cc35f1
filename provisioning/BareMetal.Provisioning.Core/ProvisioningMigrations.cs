using BareMetal.ImageStore.Catalog.Data;

namespace BareMetal.Provisioning.Core;

/// <summary>
/// Provisioning's schema (module "provisioning"); never edit a released step, add the next one.
/// Times are Unix milliseconds, enums their persisted values.
/// </summary>
public static class ProvisioningMigrations
{
    public const string Module = "provisioning";

    public static IReadOnlyList<Migration> All { get; } =
    [
        new(Module, 1, "nodes, deployments, accounts, settings",
        [
            """
            CREATE TABLE nodes (
                mac TEXT PRIMARY KEY,
                hostname TEXT NULL,
                architecture INTEGER NULL,
                uuid TEXT NULL,
                firmware INTEGER NOT NULL,
                ip TEXT NULL,
                first_seen BIGINT NOT NULL,
                last_seen BIGINT NOT NULL,
                image_name TEXT NULL,
                image_version INTEGER NULL,
                mode INTEGER NOT NULL,
                origin INTEGER NOT NULL
            )
            """,
            "CREATE INDEX nodes_image ON nodes (image_name, image_version)",
            """
            CREATE TABLE deployments (
                id {identity},
                mac TEXT NOT NULL REFERENCES nodes (mac) ON DELETE CASCADE,
                state INTEGER NOT NULL,
                mode INTEGER NOT NULL,
                image_name TEXT NULL,
                image_version INTEGER NULL,
                started_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                ended_at BIGINT NULL,
                bytes_streamed BIGINT NOT NULL,
                blocks_fetched BIGINT NOT NULL,
                overlay_bytes BIGINT NOT NULL,
                copy_percent {real} NOT NULL,
                error TEXT NULL
            )
            """,
            "CREATE INDEX deployments_mac ON deployments (mac, id)",
            """
            CREATE TABLE deployment_transitions (
                deployment_id BIGINT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                from_state INTEGER NULL,
                to_state INTEGER NOT NULL,
                at BIGINT NOT NULL,
                source INTEGER NOT NULL,
                message TEXT NULL,
                PRIMARY KEY (deployment_id, seq)
            )
            """,
            """
            CREATE TABLE admin_password (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                hash TEXT NOT NULL,
                set_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE api_tokens (
                id {identity},
                name TEXT NOT NULL,
                token_sha256 TEXT NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT NULL,
                revoked_at BIGINT NULL
            )
            """,
            """
            CREATE TABLE settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
        ]),
        new(Module, 2, "nodes by address (TFTP and block-service events know only the peer address)",
        [
            "CREATE INDEX nodes_ip ON nodes (ip)",
        ]),
        new(Module, 3, "node isolation: operator-pinned node addresses, and the audit log",
        [
            "ALTER TABLE nodes ADD COLUMN pinned_ip TEXT NULL",
            """
            CREATE TABLE audit_log (
                id {identity},
                at BIGINT NOT NULL,
                actor TEXT NOT NULL,
                source TEXT NULL,
                action TEXT NOT NULL,
                target TEXT NULL,
                outcome INTEGER NOT NULL,
                detail TEXT NULL
            )
            """,
            "CREATE INDEX audit_log_at ON audit_log (at, id)",
        ]),
    ];
}

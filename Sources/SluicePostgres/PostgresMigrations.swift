import Foundation
import PostgresNIO
import SluiceCore

/// The PostgreSQL schema, as numbered migrations with the same ids as SQLite's. Append only: a
/// migration that has shipped is never edited.
enum PostgresMigrations {
    /// A key for `pg_advisory_xact_lock`: processes starting together migrate one at a time.
    static let lockKey: Int64 = 0x534C_5549_4345  // "SLUICE"

    static let all: [(id: String, sql: String)] = [
        (
            "0001_create_core",
            """
            CREATE TABLE workspaces (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                slug TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE TABLE api_tokens (
                id TEXT PRIMARY KEY,
                hash TEXT NOT NULL UNIQUE,
                read_only BOOLEAN NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE TABLE sources (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                slug TEXT NOT NULL UNIQUE,
                name TEXT,
                enabled BOOLEAN NOT NULL,
                metadata_id TEXT NOT NULL,
                settings TEXT NOT NULL,
                labels TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE TABLE write_keys (
                key TEXT PRIMARY KEY,
                source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
                position BIGINT NOT NULL
            );
            CREATE INDEX write_keys_source ON write_keys(source_id);
            CREATE TABLE destinations (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
                metadata_id TEXT NOT NULL,
                name TEXT NOT NULL,
                enabled BOOLEAN NOT NULL,
                settings TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE INDEX destinations_source ON destinations(source_id, seq);
            CREATE TABLE subscriptions (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
                name TEXT NOT NULL,
                action_id TEXT NOT NULL,
                action_slug TEXT NOT NULL,
                trigger TEXT NOT NULL,
                enabled BOOLEAN NOT NULL,
                settings TEXT NOT NULL,
                model_id TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            );
            CREATE INDEX subscriptions_destination ON subscriptions(destination_id, seq);
            CREATE TABLE audit_events (
                seq BIGSERIAL PRIMARY KEY,
                id TEXT NOT NULL UNIQUE,
                timestamp BIGINT NOT NULL,
                type TEXT NOT NULL,
                actor TEXT NOT NULL,
                resource_id TEXT NOT NULL,
                resource_type TEXT NOT NULL,
                resource_name TEXT NOT NULL
            );
            CREATE INDEX audit_events_resource ON audit_events(resource_id);
            CREATE INDEX audit_events_timestamp ON audit_events(timestamp);
            CREATE TABLE catalog_imports (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                body BYTEA NOT NULL,
                imported_at BIGINT NOT NULL
            );
            """
        ),
        (
            "0002_create_delivery",
            """
            CREATE TABLE events (
                seq BIGSERIAL PRIMARY KEY,
                source_id TEXT NOT NULL,
                message_id TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                claimed_until BIGINT,
                body BYTEA NOT NULL
            );
            CREATE TABLE delivery_jobs (
                id BIGSERIAL PRIMARY KEY,
                source_id TEXT NOT NULL,
                destination_id TEXT NOT NULL,
                subscription_id TEXT NOT NULL,
                message_id TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                attempts BIGINT NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                lease_until BIGINT,
                body BYTEA NOT NULL
            );
            CREATE INDEX delivery_jobs_due ON delivery_jobs(next_attempt_at, id);
            CREATE TABLE delivery_metrics (
                source_id TEXT NOT NULL,
                destination_id TEXT NOT NULL,
                minute BIGINT NOT NULL,
                successes_first BIGINT NOT NULL,
                successes_retry BIGINT NOT NULL,
                expired BIGINT NOT NULL,
                discarded BIGINT NOT NULL,
                retried BIGINT NOT NULL,
                time_to_success BYTEA NOT NULL,
                time_to_first_attempt BYTEA NOT NULL,
                PRIMARY KEY (source_id, destination_id, minute)
            );
            """
        ),
        (
            "0003_destination_filters",
            """
            ALTER TABLE destinations ADD COLUMN filters TEXT NOT NULL DEFAULT '[]';
            CREATE TABLE filtered_events (
                source_id TEXT NOT NULL,
                destination_id TEXT NOT NULL,
                minute BIGINT NOT NULL,
                reason TEXT NOT NULL,
                count BIGINT NOT NULL,
                PRIMARY KEY (source_id, destination_id, minute, reason)
            );
            """
        ),
        (
            // Secrets at rest (#19): the key check value, one row, so a start with a wrong key is refused.
            "0004_secret_key_check",
            """
            CREATE TABLE secret_key_checks (
                id INTEGER PRIMARY KEY CHECK (id = 1),
                key_check TEXT NOT NULL
            );
            """
        ),
        (
            // Delivery Overview (#17): events accepted and refused at ingest, per source, minute, stage and reason.
            "0005_source_event_counts",
            """
            CREATE TABLE source_event_counts (
                source_id TEXT NOT NULL,
                minute BIGINT NOT NULL,
                stage TEXT NOT NULL,
                reason TEXT NOT NULL,
                count BIGINT NOT NULL,
                PRIMARY KEY (source_id, minute, stage, reason)
            );
            """
        ),
        (
            // Pausing delivery to a destination (#17): its jobs stay queued until it is resumed or deleted.
            "0006_paused_destinations",
            """
            CREATE TABLE paused_destinations (
                destination_id TEXT PRIMARY KEY REFERENCES destinations(id) ON DELETE CASCADE,
                paused_at BIGINT NOT NULL
            );
            """
        ),
        (
            // Failed events (#17): deliveries that gave up, kept for replay until the retention ends.
            "0007_failed_events",
            """
            CREATE TABLE failed_events (
                id BIGSERIAL PRIMARY KEY,
                source_id TEXT NOT NULL,
                destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
                subscription_id TEXT NOT NULL,
                message_id TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                attempts BIGINT NOT NULL,
                failed_at BIGINT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT NOT NULL,
                body BYTEA NOT NULL
            );
            CREATE INDEX failed_events_time ON failed_events(failed_at);
            CREATE INDEX failed_events_destination ON failed_events(destination_id, failed_at);
            """
        ),
        (
            // The event log (#17): every delivery attempt, kept for --event-log-retention and --event-log-max-entries.
            "0008_event_log",
            """
            CREATE TABLE delivery_attempts (
                id BIGSERIAL PRIMARY KEY,
                source_id TEXT NOT NULL,
                destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
                subscription_id TEXT NOT NULL,
                message_id TEXT NOT NULL,
                event_type TEXT NOT NULL,
                event_name TEXT,
                user_id TEXT,
                anonymous_id TEXT,
                attempt BIGINT NOT NULL,
                attempted_at BIGINT NOT NULL,
                status TEXT NOT NULL,
                reason TEXT NOT NULL,
                request_key TEXT,
                request_method TEXT,
                request_url TEXT,
                request_events BIGINT,
                request_body BYTEA,
                body_truncated BOOLEAN NOT NULL DEFAULT FALSE,
                http_status BIGINT,
                response BYTEA,
                duration_ms BIGINT
            );
            CREATE INDEX delivery_attempts_destination ON delivery_attempts(destination_id, id);
                        -- Only a batch's first entry, whose body its other entries show: a request of one event needs no lookup.
                        CREATE INDEX delivery_attempts_batch ON delivery_attempts(request_key) WHERE request_events > 1 AND request_body IS NOT NULL;
            """
        ),
        (
            // Throttling and the circuit breaker (#17): a destination's rate limit, its hold (a vendor's Retry-After, the
            // rate limit, the next probe) and its run of failures, shared by every worker.
            "0009_destination_delivery_state",
            """
            CREATE TABLE destination_delivery_state (
                destination_id TEXT PRIMARY KEY REFERENCES destinations(id) ON DELETE CASCADE,
                rate_limit DOUBLE PRECISION,
                rate_tokens DOUBLE PRECISION NOT NULL DEFAULT 0,
                rate_at BIGINT NOT NULL DEFAULT 0,
                hold_until BIGINT NOT NULL DEFAULT 0,
                failing_from BIGINT,
                failing_since BIGINT
            );
            """
        ),
        (
            // Routing reads a source's destinations of the kinds Sluice delivers to only (#20).
            "0010_destinations_source_kind",
            "CREATE INDEX destinations_source_kind ON destinations(source_id, metadata_id);"
        ),
    ]
}

extension PostgresStore {
    /// Drops `schema` and everything in it (a temporary schema, at ``close()``); checked at open to be letters, digits
    /// and underscores. Not under the migrations' lock: it touches no other schema, and parallel tests already queue
    /// on that lock to migrate.
    func dropSchema(_ schema: String) async throws {
        try await transaction { conn in
            try await conn.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), logger: self.logger)
        }
    }

    /// Applies the migrations not yet applied, in one transaction under an advisory lock; the first
    /// creates the workspace with a new id.
    ///
    /// - Parameter schema: a schema to create first when missing (the connections name it in their
    ///   search path already, and use it from the moment it exists); checked by the caller to be
    ///   letters, digits and underscores.
    func migrate(creatingSchema schema: String? = nil) async throws {
        try await transaction { conn in
            try await conn.query("SELECT pg_advisory_xact_lock(\(PostgresMigrations.lockKey))", logger: self.logger)
            if let schema {
                // Under the lock: two `CREATE SCHEMA IF NOT EXISTS` at once can clash.
                try await conn.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(schema)"), logger: self.logger)
            }
            try await conn.query(
                "CREATE TABLE IF NOT EXISTS sluice_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)", logger: self.logger)
            let applied = Set(try await self.rows(conn, "SELECT id FROM sluice_migrations").map { try $0.decode(String.self) })
            for migration in PostgresMigrations.all where !applied.contains(migration.id) {
                // One statement at a time (a prepared statement holds one); the DDL has no `;` inside a statement.
                for statement in migration.sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) })
                where !statement.isEmpty {
                    try await conn.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                }
                if migration.id == "0001_create_core" {
                    try await conn.query(
                        """
                        INSERT INTO workspaces (id, name, slug, created_at)
                        VALUES (\(Identifier.make()), 'Sluice', 'sluice', \(Self.millis(.now)))
                        """, logger: self.logger)
                }
                try await conn.query(
                    "INSERT INTO sluice_migrations (id, applied_at) VALUES (\(migration.id), \(Self.millis(.now)))", logger: self.logger)
            }
        }
    }
}

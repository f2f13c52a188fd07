import Foundation
import GRDB
import SluiceCore

/// The SQLite schema, as numbered migrations. Append only: a migration that has shipped is never edited.
///
/// The ids are the same on every engine (`0001_create_workspace`, ...), so a contract test can compare them.
enum SQLiteMigrations {
    static func migrator(workspaceID: String) -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("0001_create_core") { db in
            try db.execute(
                sql: """
                    CREATE TABLE workspaces (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        slug TEXT NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE api_tokens (
                        id TEXT PRIMARY KEY NOT NULL,
                        hash TEXT NOT NULL UNIQUE,
                        read_only INTEGER NOT NULL,
                        created_at INTEGER NOT NULL
                    );
                    CREATE TABLE sources (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        slug TEXT NOT NULL UNIQUE,
                        name TEXT,
                        enabled INTEGER NOT NULL,
                        metadata_id TEXT NOT NULL,
                        settings TEXT NOT NULL,
                        labels TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE TABLE write_keys (
                        key TEXT PRIMARY KEY NOT NULL,
                        source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
                        position INTEGER NOT NULL
                    );
                    CREATE INDEX write_keys_source ON write_keys(source_id);
                    CREATE TABLE destinations (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        workspace_id TEXT NOT NULL REFERENCES workspaces(id),
                        source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
                        metadata_id TEXT NOT NULL,
                        name TEXT NOT NULL,
                        enabled INTEGER NOT NULL,
                        settings TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE INDEX destinations_source ON destinations(source_id, seq);
                    CREATE TABLE subscriptions (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
                        name TEXT NOT NULL,
                        action_id TEXT NOT NULL,
                        action_slug TEXT NOT NULL,
                        trigger TEXT NOT NULL,
                        enabled INTEGER NOT NULL,
                        settings TEXT NOT NULL,
                        model_id TEXT NOT NULL,
                        created_at INTEGER NOT NULL,
                        updated_at INTEGER NOT NULL
                    );
                    CREATE INDEX subscriptions_destination ON subscriptions(destination_id, seq);
                    CREATE TABLE audit_events (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        id TEXT NOT NULL UNIQUE,
                        timestamp INTEGER NOT NULL,
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
                        body BLOB NOT NULL,
                        imported_at INTEGER NOT NULL
                    );
                    """)
            // The workspace is created with the store; its id is drawn once and kept.
            try db.execute(
                literal: """
                    INSERT INTO workspaces (id, name, slug, created_at)
                    VALUES (\(workspaceID), 'Sluice', 'sluice', \(SQLiteStore.millis(.now)))
                    """)
        }
        migrator.registerMigration("0002_create_delivery") { db in
            try db.execute(
                sql: """
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        source_id TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        body BLOB NOT NULL
                    );
                    CREATE TABLE delivery_jobs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        source_id TEXT NOT NULL,
                        destination_id TEXT NOT NULL,
                        subscription_id TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        attempts INTEGER NOT NULL,
                        next_attempt_at INTEGER NOT NULL,
                        lease_until INTEGER,
                        body BLOB NOT NULL
                    );
                    CREATE INDEX delivery_jobs_due ON delivery_jobs(next_attempt_at);
                    CREATE TABLE delivery_metrics (
                        source_id TEXT NOT NULL,
                        destination_id TEXT NOT NULL,
                        minute INTEGER NOT NULL,
                        successes_first INTEGER NOT NULL,
                        successes_retry INTEGER NOT NULL,
                        expired INTEGER NOT NULL,
                        discarded INTEGER NOT NULL,
                        retried INTEGER NOT NULL,
                        time_to_success BLOB NOT NULL,
                        time_to_first_attempt BLOB NOT NULL,
                        PRIMARY KEY (source_id, destination_id, minute)
                    );
                    """)
        }
        migrator.registerMigration("0003_destination_filters") { db in
            try db.execute(
                sql: """
                    ALTER TABLE destinations ADD COLUMN filters TEXT NOT NULL DEFAULT '[]';
                    CREATE TABLE filtered_events (
                        source_id TEXT NOT NULL,
                        destination_id TEXT NOT NULL,
                        minute INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (source_id, destination_id, minute, reason)
                    );
                    """)
        }
        // Secrets at rest (#19): the key check value, one row, so a start with a wrong key is refused.
        migrator.registerMigration("0004_secret_key_check") { db in
            try db.execute(
                sql: """
                    CREATE TABLE secret_key_checks (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        key_check TEXT NOT NULL
                    );
                    """)
        }
        // Delivery Overview (#17): events accepted and refused at ingest, per source, minute, stage and reason.
        migrator.registerMigration("0005_source_event_counts") { db in
            try db.execute(
                sql: """
                    CREATE TABLE source_event_counts (
                        source_id TEXT NOT NULL,
                        minute INTEGER NOT NULL,
                        stage TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        count INTEGER NOT NULL,
                        PRIMARY KEY (source_id, minute, stage, reason)
                    );
                    """)
        }
        // Pausing delivery to a destination (#17): its jobs stay queued until it is resumed or deleted.
        migrator.registerMigration("0006_paused_destinations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE paused_destinations (
                        destination_id TEXT PRIMARY KEY REFERENCES destinations(id) ON DELETE CASCADE,
                        paused_at INTEGER NOT NULL
                    );
                    """)
        }
        // Failed events (#17): deliveries that gave up, kept for replay until the retention ends.
        migrator.registerMigration("0007_failed_events") { db in
            try db.execute(
                sql: """
                    CREATE TABLE failed_events (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        source_id TEXT NOT NULL,
                        destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
                        subscription_id TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        received_at INTEGER NOT NULL,
                        attempts INTEGER NOT NULL,
                        failed_at INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        body BLOB NOT NULL
                    );
                    CREATE INDEX failed_events_time ON failed_events(failed_at);
                    CREATE INDEX failed_events_destination ON failed_events(destination_id, failed_at);
                    """)
        }
        // The event log (#17): every delivery attempt, kept for --event-log-retention and --event-log-max-entries.
        migrator.registerMigration("0008_event_log") { db in
            try db.execute(
                sql: """
                    CREATE TABLE delivery_attempts (
                        -- The rowid (no AUTOINCREMENT, which writes sqlite_sequence on every insert): pruning removes the
                        -- oldest, so ids still only grow for every destination that keeps entries.
                        id INTEGER PRIMARY KEY,
                        source_id TEXT NOT NULL,
                        destination_id TEXT NOT NULL REFERENCES destinations(id) ON DELETE CASCADE,
                        subscription_id TEXT NOT NULL,
                        message_id TEXT NOT NULL,
                        event_type TEXT NOT NULL,
                        event_name TEXT,
                        user_id TEXT,
                        anonymous_id TEXT,
                        attempt INTEGER NOT NULL,
                        attempted_at INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        request_key TEXT,
                        request_method TEXT,
                        request_url TEXT,
                        request_events INTEGER,
                        request_body BLOB,
                        body_truncated INTEGER NOT NULL DEFAULT 0,
                        http_status INTEGER,
                        response BLOB,
                        duration_ms INTEGER
                    );
                    CREATE INDEX delivery_attempts_destination ON delivery_attempts(destination_id, id);
                                        -- Only a batch's first entry, whose body its other entries show: a request of one event needs no lookup.
                                        CREATE INDEX delivery_attempts_batch ON delivery_attempts(request_key) WHERE request_events > 1 AND request_body IS NOT NULL;
                    """)
        }
        // Throttling and the circuit breaker (#17): a destination's rate limit, its hold (a vendor's Retry-After, the
        // rate limit, the next probe) and its run of failures, shared by every worker.
        migrator.registerMigration("0009_destination_delivery_state") { db in
            try db.execute(
                sql: """
                    CREATE TABLE destination_delivery_state (
                        destination_id TEXT PRIMARY KEY REFERENCES destinations(id) ON DELETE CASCADE,
                        rate_limit REAL,
                        rate_tokens REAL NOT NULL DEFAULT 0,
                        rate_at INTEGER NOT NULL DEFAULT 0,
                        hold_until INTEGER NOT NULL DEFAULT 0,
                        failing_from INTEGER,
                        failing_since INTEGER
                    );
                    """)
        }
        // Routing reads a source's destinations of the kinds Sluice delivers to only (#20).
        migrator.registerMigration("0010_destinations_source_kind") { db in
            try db.execute(sql: "CREATE INDEX destinations_source_kind ON destinations(source_id, metadata_id);")
        }
        // Routing at ingest (#20): one number that every write of what routing reads (sources, destinations and their
        // filters, subscriptions) moves, whichever statement makes it, so that routes worked out under it hold until
        // it moves (`SQLiteStore.routingVersion()`).
        migrator.registerMigration("0011_routing_version") { db in
            var sql = """
                CREATE TABLE routing_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
                INSERT INTO routing_version (id, version) VALUES (1, 0);

                """
            for table in ["sources", "destinations", "subscriptions"] {
                for change in ["INSERT", "UPDATE", "DELETE"] {
                    sql += """
                        CREATE TRIGGER \(table)_\(change.lowercased())_moves_routing AFTER \(change) ON \(table)
                        BEGIN UPDATE routing_version SET version = version + 1 WHERE id = 1; END;

                        """
                }
            }
            try db.execute(sql: sql)
        }
        return migrator
    }
}

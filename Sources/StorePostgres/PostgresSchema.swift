import PostgresNIO
import Store

/// The PostgreSQL schema, as named migrations applied in order and recorded in table
/// `blackout_migrations`: the same names as the SQLite store's (`SQLiteStore.migrator`),
/// each bringing the schema to the same version in PostgreSQL's types, then those only
/// PostgreSQL has (the work queue of `blackout worker`).
///
/// Several workers may open a new database at once: the migrations run in one transaction
/// under an advisory lock, so one applies them and the others find them applied. A database
/// that records a migration this build does not know was written by a newer Blackout, and
/// is refused rather than misread.
enum PostgresSchema {
    /// The lock every migration takes (an arbitrary number: "blackout" in ASCII, folded).
    static let lockKey: Int64 = 0x626c_6163_6b6f
    static let migrations: [(name: String, sql: String)] = [
        ("v1: files, country bins, events", """
            CREATE TABLE file (
              content_hash TEXT PRIMARY KEY, path TEXT NOT NULL, collector TEXT NOT NULL,
              elements BIGINT NOT NULL, damaged_records BIGINT NOT NULL);
            """),
        // SQLite's v2 added a table of origin AS bins that v3 folded into `bin`: nothing here.
        ("v2: origin AS bins", ""),
        ("v3: one bin table for countries and origin ASes, both families; events keyed; checkpoint", """
            CREATE TABLE bin (
              series TEXT NOT NULL, family TEXT NOT NULL, time BIGINT NOT NULL,
              visible_prefixes BIGINT NOT NULL, space DOUBLE PRECISION NOT NULL, announcements BIGINT NOT NULL,
              withdrawals BIGINT NOT NULL, path_changes BIGINT NOT NULL, flaps BIGINT NOT NULL,
              unstable_prefixes BIGINT NOT NULL, full_feed_peers BIGINT NOT NULL, peers BIGINT NOT NULL,
              collectors BIGINT NOT NULL,
              PRIMARY KEY (series, family, time));
            CREATE TABLE event (
              id BIGSERIAL PRIMARY KEY, key TEXT NOT NULL UNIQUE, country TEXT, asn BIGINT,
              family TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL, start BIGINT NOT NULL, "end" BIGINT,
              last_seen BIGINT NOT NULL, fraction_lost DOUBLE PRECISION NOT NULL, baseline DOUBLE PRECISION NOT NULL,
              prefixes_lost TEXT NOT NULL, origins_affected TEXT NOT NULL, origins_unaffected TEXT NOT NULL,
              providers_lost TEXT NOT NULL, peers TEXT NOT NULL, collectors TEXT NOT NULL, flaps BIGINT NOT NULL,
              dips BIGINT NOT NULL, summary TEXT NOT NULL);
            CREATE INDEX event_start ON event(start);
            CREATE INDEX event_country ON event(country);
            CREATE INDEX event_asn ON event(asn);
            CREATE TABLE checkpoint (
              id INTEGER PRIMARY KEY CHECK (id = 1), time BIGINT NOT NULL, bytes BYTEA NOT NULL);
            """),
        ("v4: routing tables stored beside the checkpoint, in pieces", """
            CREATE TABLE checkpoint_piece (part INTEGER NOT NULL, n INTEGER NOT NULL, bytes BYTEA NOT NULL,
              PRIMARY KEY (part, n));
            """),
        ("v5: the census of the latest routing state; webhook deliveries", """
            CREATE TABLE census (
              country TEXT PRIMARY KEY, time BIGINT NOT NULL, prefixes BIGINT NOT NULL,
              slash24s DOUBLE PRECISION NOT NULL, ipv6_prefixes BIGINT NOT NULL, origins BIGINT NOT NULL,
              providers BIGINT NOT NULL, risk TEXT NOT NULL, json TEXT NOT NULL);
            CREATE TABLE alert (
              id BIGSERIAL PRIMARY KEY, delivery TEXT NOT NULL, url TEXT NOT NULL,
              event_key TEXT NOT NULL, change TEXT NOT NULL, severity TEXT NOT NULL, fraction_lost DOUBLE PRECISION NOT NULL,
              payload TEXT NOT NULL, created DOUBLE PRECISION NOT NULL, attempts BIGINT NOT NULL DEFAULT 0,
              next_attempt DOUBLE PRECISION NOT NULL, delivered DOUBLE PRECISION, gave_up DOUBLE PRECISION, last_error TEXT,
              UNIQUE (url, delivery));
            CREATE INDEX alert_due ON alert(delivered, gave_up, next_attempt);
            CREATE INDEX alert_event ON alert(event_key);
            """),
        ("v6: the routes the checkpointed state holds", """
            ALTER TABLE checkpoint ADD COLUMN routes BIGINT;
            """),
        // Every save and clear counts its commit (`StoreWriters`); here it is also what readers'
        // caches are checked against (`generation()`: SQLite has `PRAGMA data_version`).
        ("v7: a commit counter", """
            CREATE TABLE commit_count (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
            INSERT INTO commit_count VALUES (1, 0);
            """),
        // PostgreSQL only: the work queue of `blackout queue` and `blackout worker` (WorkQueue.swift).
        ("postgres 1: work queue", """
            CREATE TABLE task (
              id BIGSERIAL PRIMARY KEY, collector TEXT NOT NULL, start BIGINT NOT NULL, "end" BIGINT NOT NULL,
              files TEXT NOT NULL DEFAULT '', state TEXT NOT NULL DEFAULT 'queued', attempts INTEGER NOT NULL DEFAULT 0,
              worker TEXT, lease_until TIMESTAMPTZ, started TIMESTAMPTZ, finished TIMESTAMPTZ,
              file_count INTEGER, elements BIGINT, damaged_records BIGINT, missing_files INTEGER, error TEXT,
              added TIMESTAMPTZ NOT NULL DEFAULT now(),
              UNIQUE (collector, start, "end", files));
            CREATE INDEX task_claim ON task (state, start, collector);
            CREATE TABLE task_file (
              task BIGINT NOT NULL REFERENCES task(id) ON DELETE CASCADE, content_hash TEXT NOT NULL, path TEXT NOT NULL,
              collector TEXT NOT NULL, elements BIGINT NOT NULL, damaged_records BIGINT NOT NULL,
              PRIMARY KEY (task, content_hash));
            CREATE TABLE worker (
              name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, started TIMESTAMPTZ NOT NULL,
              seen TIMESTAMPTZ NOT NULL, task BIGINT, tasks_done BIGINT NOT NULL DEFAULT 0, elements BIGINT NOT NULL DEFAULT 0);
            """),
    ]

    /// Applies the migrations this database lacks; refuses one written by a newer Blackout.
    static func migrate(_ pool: PostgresPool, extra: [(name: String, sql: String)] = []) throws {
        let all = migrations + extra
        try pool.transaction { s in
            try s.query("SELECT pg_advisory_xact_lock(\(lockKey))")
            try s.execute("CREATE TABLE IF NOT EXISTS blackout_migrations (name TEXT PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())")
            var applied: Set<String> = []
            for row in try s.execute("SELECT name FROM blackout_migrations") {
                applied.insert(try row.decode(String.self))
            }
            let known = Set(all.map(\.name))
            if let unknown = applied.subtracting(known).sorted().first {
                throw StoreError(path: pool.location.description,
                                 "written by a newer version of blackout (unknown migration \"\(unknown)\"); upgrade blackout to read it")
            }
            for m in all where !applied.contains(m.name) {
                if !m.sql.isEmpty { try s.execute(m.sql) }
                try s.query("INSERT INTO blackout_migrations (name) VALUES (\(m.name))")
            }
        }
    }
}

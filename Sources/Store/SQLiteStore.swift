import Foundation
import GRDB
import MRT
import Outages
import Registry

/// The embedded store: one SQLite file through GRDB, with named migrations.
///
/// Every ingest is one transaction (`save`), so an ingest killed half-way leaves the
/// database as it was; SQLite's journal does the rest (a full disk or a crash mid-commit
/// rolls back). A database written by a newer Blackout (migrations this build does not
/// know) is refused rather than misread; a database locked by another process is waited
/// for a few seconds, then reported.
///
/// The database is kept in write-ahead-log mode (set persistently when it is opened), so
/// that readers in other processes (`blackout serve`, see `init(readingAt:)`) read the last
/// committed state while an ingest writes, and are never blocked by it.
public final class SQLiteStore: Store {
    public let path: String
    /// Webhooks to queue deliveries for, in each save's transaction, when events open,
    /// deepen or close (SQLiteStore+Alerts.swift); nil queues none.
    public var webhooks: WebhookPlan?
    /// A `DatabaseQueue` for the commands; a read-only `DatabasePool` for the server.
    let queue: any DatabaseWriter
    /// The read-only store's connection that watches for commits (`generation()`).
    let watcher: DatabaseQueue?
    /// The commit count of the state this process restored or saved (`StoreWriters`).
    let writers = StoreWriters()

    /// The default database: `$XDG_DATA_HOME/blackout/blackout.sqlite`, else
    /// `~/.local/share/blackout/blackout.sqlite`.
    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_DATA_HOME"], !xdg.isEmpty { return xdg + "/blackout/blackout.sqlite" }
        return (env["HOME"] ?? "/tmp") + "/.local/share/blackout/blackout.sqlite"
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: files, country bins, events") { db in
            try db.create(table: "file") { t in
                t.primaryKey("content_hash", .text)
                t.column("path", .text).notNull()
                t.column("collector", .text).notNull()
                t.column("elements", .integer).notNull()
                t.column("damaged_records", .integer).notNull()
            }
            try db.create(table: "country_bin") { t in
                t.column("country", .text).notNull()
                t.column("time", .integer).notNull()
                t.column("visible_prefixes", .integer).notNull()
                t.column("slash24s", .double).notNull()
                t.column("announcements", .integer).notNull()
                t.column("withdrawals", .integer).notNull()
                t.column("path_changes", .integer).notNull()
                t.column("flaps", .integer).notNull()
                t.column("full_feed_peers", .integer).notNull()
                t.primaryKey(["country", "time"])
            }
            try db.create(table: "event") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("country", .text).notNull().indexed()
                t.column("asn", .integer)
                t.column("kind", .text).notNull()
                t.column("severity", .text).notNull()
                t.column("start", .integer).notNull().indexed()
                t.column("end", .integer)
                t.column("fraction_lost", .double).notNull()
                t.column("baseline", .double).notNull()
                t.column("prefixes_lost", .text).notNull()
                t.column("origins_affected", .text).notNull()
                t.column("origins_unaffected", .text).notNull()
                t.column("providers_lost", .text).notNull()
                t.column("peers", .text).notNull()
                t.column("summary", .text).notNull()
            }
        }
        m.registerMigration("v2: origin AS bins") { db in
            // Stored only when something changed: a value holds until the next row.
            try db.create(table: "asn_bin") { t in
                t.column("asn", .integer).notNull()
                t.column("time", .integer).notNull()
                t.column("visible_prefixes", .integer).notNull()
                t.column("slash24s", .double).notNull()
                t.column("announcements", .integer).notNull()
                t.column("withdrawals", .integer).notNull()
                t.column("path_changes", .integer).notNull()
                t.column("flaps", .integer).notNull()
                t.primaryKey(["asn", "time"])
            }
            try db.create(index: "event_asn", on: "event", columns: ["asn"])
        }
        m.registerMigration("v3: one bin table for countries and origin ASes, both families; events keyed; checkpoint") { db in
            try db.execute(sql: """
                CREATE TABLE bin (
                  series TEXT NOT NULL, family TEXT NOT NULL, time INTEGER NOT NULL,
                  visible_prefixes INTEGER NOT NULL, space REAL NOT NULL, announcements INTEGER NOT NULL,
                  withdrawals INTEGER NOT NULL, path_changes INTEGER NOT NULL, flaps INTEGER NOT NULL,
                  unstable_prefixes INTEGER NOT NULL, full_feed_peers INTEGER NOT NULL, peers INTEGER NOT NULL,
                  collectors INTEGER NOT NULL,
                  PRIMARY KEY (series, family, time)) WITHOUT ROWID;
                INSERT INTO bin SELECT country, 'ipv4', time, visible_prefixes, slash24s, announcements, withdrawals,
                  path_changes, flaps, 0, full_feed_peers, 0, 0 FROM country_bin;
                INSERT INTO bin SELECT 'AS' || asn, 'ipv4', time, visible_prefixes, slash24s, announcements, withdrawals,
                  path_changes, flaps, 0, 0, 0, 0 FROM asn_bin;
                DROP TABLE country_bin;
                DROP TABLE asn_bin;
                CREATE TABLE event_v3 (
                  id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, country TEXT, asn INTEGER,
                  family TEXT NOT NULL, kind TEXT NOT NULL, severity TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER,
                  last_seen INTEGER NOT NULL, fraction_lost REAL NOT NULL, baseline REAL NOT NULL,
                  prefixes_lost TEXT NOT NULL, origins_affected TEXT NOT NULL, origins_unaffected TEXT NOT NULL,
                  providers_lost TEXT NOT NULL, peers TEXT NOT NULL, collectors TEXT NOT NULL, flaps INTEGER NOT NULL,
                  dips INTEGER NOT NULL, summary TEXT NOT NULL);
                INSERT OR REPLACE INTO event_v3 (key, country, asn, family, kind, severity, start, "end", last_seen,
                  fraction_lost, baseline, prefixes_lost, origins_affected, origins_unaffected, providers_lost, peers,
                  collectors, flaps, dips, summary)
                  SELECT kind || ' ' || COALESCE('AS' || asn, country) || ' ipv4 ' || start,
                    NULLIF(NULLIF(country, ''), char(0, 0)), asn, 'ipv4', kind, severity, start, "end",
                    COALESCE("end", start), fraction_lost, baseline, prefixes_lost, origins_affected, origins_unaffected,
                    providers_lost, peers, '', 0, 0, summary FROM event;
                DROP TABLE event;
                ALTER TABLE event_v3 RENAME TO event;
                CREATE INDEX event_start ON event(start);
                CREATE INDEX event_country ON event(country);
                CREATE INDEX event_asn ON event(asn);
                CREATE TABLE checkpoint (
                  id INTEGER PRIMARY KEY CHECK (id = 1), time INTEGER NOT NULL, bytes BLOB NOT NULL);
                """)
        }
        m.registerMigration("v4: routing tables stored beside the checkpoint, in pieces") { db in
            // A checkpoint written before keeps its tables inside its bytes, in a format the
            // monitor refuses with a message (--from-scratch).
            // Part 0: the checkpoint's bytes, part 1: the routing tables, each in pieces of about 1 MiB
            // (SQLite copies a value twice while inserting it: whole, a checkpoint would cost three times its size).
            try db.execute(sql: """
                CREATE TABLE checkpoint_piece (part INTEGER NOT NULL, n INTEGER NOT NULL, bytes BLOB NOT NULL,
                  PRIMARY KEY (part, n))
                """)
        }
        m.registerMigration("v5: the census of the latest routing state; webhook deliveries") { db in
            // One row per country, replaced by each ingest that ends with a routing state:
            // the figures the overview lists, and the whole `blackout country --json` object.
            try db.execute(sql: """
                CREATE TABLE census (
                  country TEXT PRIMARY KEY NOT NULL, time INTEGER NOT NULL, prefixes INTEGER NOT NULL,
                  slash24s REAL NOT NULL, ipv6_prefixes INTEGER NOT NULL, origins INTEGER NOT NULL,
                  providers INTEGER NOT NULL, risk TEXT NOT NULL, json TEXT NOT NULL) WITHOUT ROWID;
                CREATE TABLE alert (
                  id INTEGER PRIMARY KEY AUTOINCREMENT, delivery TEXT NOT NULL, url TEXT NOT NULL,
                  event_key TEXT NOT NULL, change TEXT NOT NULL, severity TEXT NOT NULL, fraction_lost REAL NOT NULL,
                  payload TEXT NOT NULL, created REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
                  next_attempt REAL NOT NULL, delivered REAL, gave_up REAL, last_error TEXT,
                  UNIQUE (url, delivery));
                CREATE INDEX alert_due ON alert(delivered, gave_up, next_attempt);
                CREATE INDEX alert_event ON alert(event_key);
                """)
        }
        m.registerMigration("v6: the routes the checkpointed state holds") { db in
            try db.execute(sql: "ALTER TABLE checkpoint ADD COLUMN routes INTEGER")
        }
        m.registerMigration("v7: a commit counter") { db in
            // Counted by each save and clear: a writer whose state was read at another count
            // is refused (`StoreWriters`).
            try db.execute(sql: "CREATE TABLE commit_count (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL); INSERT INTO commit_count VALUES (1, 0);")
        }
        return m
    }

    /// Opens (creating it and its directory if needed) and migrates the database.
    public init(path: String) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        var config = Configuration()
        config.busyMode = .timeout(5)
        watcher = nil
        do {
            let queue = try DatabaseQueue(path: path, configuration: config)
            self.queue = queue
            let migrator = Self.migrator
            if try queue.read({ try migrator.hasBeenSuperseded($0) }) {
                throw Self.newerVersion(path)
            }
            try migrator.migrate(queue)
            // Persistent: every later connection, in any process, finds the database in WAL mode.
            if try queue.inDatabase({ try String.fetchOne($0, sql: "PRAGMA journal_mode") })?.lowercased() != "wal" {
                _ = try queue.inDatabase { try String.fetchOne($0, sql: "PRAGMA journal_mode = WAL") }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw Self.storeError(path, error)
        }
    }

    static func newerVersion(_ path: String) -> StoreError {
        StoreError(path: path, "written by a newer version of blackout (unknown migrations); upgrade blackout to read it")
    }

    static func explain(_ error: Error) -> String {
        guard let e = error as? DatabaseError else { return "\(error)" }
        switch e.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "the database is locked by another process (is an ingest running?)"
        case .SQLITE_FULL: return "the disk is full; nothing of this ingest was stored"
        case .SQLITE_IOERR: return "cannot write the database (disk full, or over a file size limit?); nothing of this ingest was stored"
        case .SQLITE_NOTADB: return "not a SQLite database"
        case .SQLITE_READONLY: return "the database is read-only"
        case .SQLITE_CANTOPEN: return "cannot open the database file"
        default: return e.message ?? "\(e)"
        }
    }

    /// A reader's store (`init(readingAt:)`).
    init(path: String, reader: any DatabaseWriter, watcher: DatabaseQueue) {
        self.path = path
        self.queue = reader
        self.watcher = watcher
    }

    func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as StoreError { throw e } catch { throw Self.storeError(path, error) }
    }

    /// A database failure as a store error, marked `busy` when another process holds the database.
    static func storeError(_ path: String, _ error: Error) -> StoreError {
        var e = StoreError(path: path, explain(error))
        if let d = error as? DatabaseError, d.resultCode == .SQLITE_BUSY || d.resultCode == .SQLITE_LOCKED { e.busy = true }
        return e
    }

    public func knownFiles(_ hashes: [String]) throws -> Set<String> {
        try wrap {
            try queue.read { db in
                Set(try String.fetchAll(db, sql: "SELECT content_hash FROM file WHERE content_hash IN (\(hashes.map { _ in "?" }.joined(separator: ",")))",
                                        arguments: StatementArguments(hashes)))
            }
        }
    }

    public func save(_ r: IngestResult) throws {
        try save(streaming: { nil }, then: { r })
    }

    public func save(streaming bins: () -> [(series: SeriesID, bin: SeriesBin)]?, then rest: () throws -> IngestResult) throws {
        let webhooks = webhooks
        var committed: Int?
        try wrap {
            try queue.write { db in
                // From the second batch of bins on, a page cache of up to 64 MiB (SQLite's default
                // is 2 MiB): each bin's rows go into the pages of every series that moved, all over
                // the table, and with the default cache those pages were written out to the WAL and
                // read back again and again (the 1-peer replay benchmark: 2.2 s of system time,
                // 0.5 s with this). One batch (a RIB's bins) or the checkpoint's pieces, new pages
                // written once, go through the default cache: a 60-peer RIB's peak would grow.
                let bin = try BinInserter(db)
                var batches = 0
                while let batch = bins() {
                    batches += 1
                    if batches == 2 { try db.execute(sql: "PRAGMA cache_size = -65536") }
                    for (id, b) in batch { try bin.insert(id, b) }
                }
                let r = try rest()
                for f in r.files {
                    try db.execute(sql: "INSERT OR IGNORE INTO file VALUES (?, ?, ?, ?, ?)",
                                   arguments: [f.contentHash, f.path, f.collector, f.elements, f.damagedRecords])
                }
                for (id, b) in r.bins { try bin.insert(id, b) }
                let event = try db.makeStatement(sql: """
                    INSERT INTO event (\(StoredRows.eventColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    \(StoredRows.eventUpsert)
                    """)
                for e in r.events {
                    // Webhook deliveries, decided against the stored version before it is replaced.
                    if let plan = webhooks { try Self.queueAlerts(for: e, plan: plan, in: db, path: path) }
                    try event.execute(arguments: [e.key, e.country?.description, e.asn.map { Int($0) }, e.family.rawValue,
                                                  e.kind.rawValue, e.severity.rawValue, Int(e.start), e.end.map { Int($0) },
                                                  Int(e.lastSeen), e.fractionLost, e.baseline,
                                                  Self.list(e.prefixesLost.map(\.description)), Self.list(e.originsAffected.map { String($0) }),
                                                  Self.list(e.originsUnaffected.map { String($0) }), Self.list(e.providersLost.map { String($0) }),
                                                  Self.list(e.peers), Self.list(e.collectors), e.flaps, e.dips, e.summary])
                }
                if let census = r.census { try Self.replaceCensus(census, in: db) }
                Failpoint.pause("hold-commit")
                let n = try Int.fetchOne(db, sql: "SELECT n FROM commit_count WHERE id = 1") ?? 0
                if r.checkpoint != nil { try writers.check(count: n, path: path) }
                try db.execute(sql: "UPDATE commit_count SET n = n + 1 WHERE id = 1")
                committed = n + 1
                try db.execute(sql: "PRAGMA cache_size = -2000")
                if let c = r.checkpoint {
                    try db.execute(sql: "DELETE FROM checkpoint_piece")
                    let insert = try db.makeStatement(sql: "INSERT INTO checkpoint_piece VALUES (?, ?, ?)")
                    try c.storePieces { part, n, raw in
                        guard let base = raw.baseAddress else { return }
                        // Bound for this statement only: no copy of the piece.
                        let data = Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: raw.count, deallocator: .none)
                        try insert.execute(arguments: [part, n, data])
                    }
                    try db.execute(sql: "INSERT OR REPLACE INTO checkpoint (id, time, bytes, routes) VALUES (1, ?, ?, ?)",
                                   arguments: [Int(c.time), Data(), c.routes])
                }
            }
        }
        if let committed { writers.read(count: committed) }
    }

    public func checkpoint() throws -> Checkpoint? {
        try wrap {
            try queue.read { db in
                writers.read(count: try Int.fetchOne(db, sql: "SELECT n FROM commit_count WHERE id = 1") ?? 0)
                guard let row = try Row.fetchOne(db, sql: "SELECT time, bytes, routes FROM checkpoint WHERE id = 1") else { return nil }
                let r = RowReader(row: row, table: "checkpoint", id: 1, path: path)
                var c = Checkpoint(time: try r.time("time"), bytes: [UInt8](try r.blob("bytes")))
                c.routes = try r.optionalInt("routes")
                // Since v4 the bytes are in pieces (part 0); before, in the row.
                let size = try Int.fetchOne(db, sql: "SELECT SUM(length(bytes)) FROM checkpoint_piece WHERE part = 0") ?? 0
                if size > 0 {
                    c.bytes.reserveCapacity(size)
                    let rows = try Row.fetchCursor(db, sql: "SELECT n, bytes FROM checkpoint_piece WHERE part = 0 ORDER BY n")
                    while let row = try rows.next() {
                        c.bytes += try RowReader(row: row, table: "checkpoint_piece", id: row["n"] ?? -1, path: path).blob("bytes")
                    }
                }
                // The pieces are read one at a time, as the restore asks for them.
                let queue = queue, path = path
                c.pieces = Checkpoint.tablePieces { n in
                    do {
                        return try queue.read { db in
                            try Row.fetchOne(db, sql: "SELECT bytes FROM checkpoint_piece WHERE part = 1 AND n = ?", arguments: [n]).map { row in
                                [UInt8](try RowReader(row: row, table: "checkpoint_piece", id: n, path: path).blob("bytes"))
                            }
                        }
                    } catch let e as StoreError { throw e } catch { throw Self.storeError(path, error) }
                }
                return c
            }
        }
    }

    public func clear() throws {
        try wrap {
            try queue.write { db in
                try db.execute(sql: "DELETE FROM file; DELETE FROM bin; DELETE FROM event; DELETE FROM checkpoint; DELETE FROM checkpoint_piece; DELETE FROM census;")
                try db.execute(sql: "UPDATE commit_count SET n = n + 1 WHERE id = 1")
                writers.read(count: try Int.fetchOne(db, sql: "SELECT n FROM commit_count WHERE id = 1") ?? 0)
            }
        }
    }

    static func list(_ items: [String]) -> String { StoredRows.join(items) }

    public func events(_ q: EventQuery) throws -> [Event] {
        let (conditions, arguments) = Self.conditions(q)
        let sql = "SELECT * FROM event" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY start, asn IS NOT NULL, country, asn, family, kind"
        return try wrap {
            try queue.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map(event)
            }
        }
    }

    public func bins(_ id: SeriesID, from: UInt32?, to: UInt32?) throws -> [SeriesBin] {
        try wrap {
            try queue.read { db in
                var start = Int(from ?? 0)
                if case .asn = id.subject {  // the row in force at `from` too
                    start = try Int.fetchOne(db, sql: "SELECT MAX(time) FROM bin WHERE series = ? AND family = ? AND time <= ?",
                                             arguments: [id.subject.description, id.family.rawValue, start]) ?? start
                }
                return try Row.fetchAll(db, sql: """
                    SELECT * FROM bin WHERE series = ? AND family = ? AND time >= ? AND time < ? ORDER BY time
                    """, arguments: [id.subject.description, id.family.rawValue, start, Int(to ?? UInt32.max)]).map { row in
                    try StoredRows.bin(RowReader(row: row, table: "bin", id: -1, path: path, key: "\(id) at \(row["time"] as DatabaseValue)"))
                }
            }
        }
    }

    public func binTimes(from: UInt32?, to: UInt32?) throws -> [UInt32] {
        try wrap {
            try queue.read { db in
                try Int.fetchAll(db, sql: "SELECT DISTINCT time FROM bin WHERE series NOT LIKE 'AS%' AND time >= ? AND time < ? ORDER BY time",
                                 arguments: [Int(from ?? 0), Int(to ?? UInt32.max)]).map { t in
                    guard let v = UInt32(exactly: t) else { throw StoreError(path: path, "table bin: time \(t) out of range") }
                    return v
                }
            }
        }
    }

    public func hasSeries(_ subject: SeriesSubject) throws -> Bool {
        try wrap {
            try queue.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM bin WHERE series = ?)", arguments: [subject.description]) ?? false
            }
        }
    }

    public func files() throws -> [IngestedFile] {
        try wrap {
            try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT rowid, * FROM file ORDER BY path").map { row in
                    try StoredRows.file(RowReader(row: row, table: "file", id: row["rowid"] as Int? ?? -1, path: path))
                }
            }
        }
    }
}

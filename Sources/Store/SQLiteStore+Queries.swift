import Foundation
import GRDB
import MRT
import Outages
import Registry

/// The reads the HTTP API needs, and the read-only store it reads through.
extension SQLiteStore {
    /// Opens an existing database for reading only, from a pool of connections that read
    /// concurrently with each other and with a writer in another process (an ingest): SQLite's
    /// write-ahead log (https://www.sqlite.org/wal.html) lets each read see the last commit.
    ///
    /// A database of an older version, or not yet in WAL mode, is first upgraded by opening it
    /// as the commands do (`init(path:)`); one written by a newer version is refused; a missing
    /// file is an error (nothing is created).
    public convenience init(readingAt path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(path: path, "no such database (run `blackout ingest --db \(path)` first)")
        }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(2)  // the watcher; the pool's readers wait up to 10 s (GRDB's default)
        config.maximumReaderCount = 8
        let migrator = Self.migrator
        do {
            let probe = try DatabaseQueue(path: path, configuration: config)
            let (superseded, complete, mode) = try probe.inDatabase { db in
                (try migrator.hasBeenSuperseded(db), try migrator.hasCompletedMigrations(db),
                 try String.fetchOne(db, sql: "PRAGMA journal_mode")?.lowercased())
            }
            try probe.close()
            if superseded { throw Self.newerVersion(path) }
            if !complete || mode != "wal" { _ = try SQLiteStore(path: path) }
            self.init(path: path, reader: try DatabasePool(path: path, configuration: config),
                      watcher: try DatabaseQueue(path: path, configuration: config))
        } catch let e as StoreError {
            throw e
        } catch {
            throw Self.storeError(path, error)
        }
    }

    /// Decodes one row of table `event`.
    func event(_ row: Row) throws -> Event {
        try StoredRows.event(RowReader(row: row, table: "event", id: row["id"] as Int? ?? -1, path: path))
    }

    /// The conditions of an event query, as SQL and its arguments.
    static func conditions(_ q: EventQuery) -> (sql: [String], arguments: [(any DatabaseValueConvertible)?]) {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let c = q.country { conditions.append("country = ?"); arguments.append(c.description) }
        if let a = q.asn { conditions.append("asn = ?"); arguments.append(Int(a)) }
        if let k = q.kind { conditions.append("kind = ?"); arguments.append(k.rawValue) }
        if let f = q.family { conditions.append("family = ?"); arguments.append(f.rawValue) }
        // Events overlapping [from, to).
        if let f = q.from { conditions.append("(\"end\" IS NULL OR \"end\" > ?)"); arguments.append(Int(f)) }
        if let t = q.to { conditions.append("start < ?"); arguments.append(Int(t)) }
        return (conditions, arguments)
    }

    public func events(_ q: EventQuery, after cursor: EventCursor?, limit: Int) throws -> [StoredEvent] {
        var (conditions, arguments) = Self.conditions(q)
        if let c = cursor {
            conditions.append("(start < ? OR (start = ? AND id < ?))")
            arguments += [Int(c.start), Int(c.start), c.id]
        }
        let sql = "SELECT * FROM event" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY start DESC, id DESC LIMIT ?"
        arguments.append(max(0, limit))
        return try wrap {
            try queue.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                    StoredEvent(id: row["id"] as Int64? ?? -1, event: try event(row))
                }
            }
        }
    }

    public func openEventCounts() throws -> [CountryCode: Int] {
        try wrap {
            try queue.read { db in
                var counts: [CountryCode: Int] = [:]
                let rows = try Row.fetchAll(db, sql: """
                    SELECT country, COUNT(*) AS n FROM event WHERE "end" IS NULL AND country IS NOT NULL GROUP BY country
                    """)
                for row in rows {
                    let r = RowReader(row: row, table: "event", id: -1, path: path, key: row["country"] as String? ?? "?")
                    guard let cc = try r.country("country") else { throw r.error("country", "NULL") }
                    counts[cc] = try r.count("n")
                }
                return counts
            }
        }
    }

    public func latestBinTime(_ id: SeriesID) throws -> UInt32? {
        try wrap {
            try queue.read { db in
                try Int.fetchOne(db, sql: "SELECT MAX(time) FROM bin WHERE series = ? AND family = ?",
                                 arguments: [id.subject.description, id.family.rawValue]).map { t in
                    guard let v = UInt32(exactly: t) else { throw StoreError(path: path, "table bin: time \(t) out of range") }
                    return v
                }
            }
        }
    }

    public func totals() throws -> StoreTotals {
        try wrap {
            try queue.read { db in
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT (SELECT COUNT(*) FROM file) AS files, (SELECT COALESCE(SUM(elements), 0) FROM file) AS elements,
                      (SELECT COUNT(*) FROM event) AS events, (SELECT COUNT(*) FROM event WHERE "end" IS NULL) AS open_events,
                      (SELECT MAX(time) FROM census) AS census_time, (SELECT time FROM checkpoint WHERE id = 1) AS checkpoint_time,
                      (SELECT COALESCE(SUM(length(bytes)), 0) FROM checkpoint_piece) AS state_bytes,
                      (SELECT routes FROM checkpoint WHERE id = 1) AS routes,
                      (SELECT COUNT(*) FROM census) AS countries
                    """) else { throw StoreError(path: path, "cannot read the totals") }
                return try StoredRows.totals(RowReader(row: row, table: "file, event, census, checkpoint", id: -1, path: path))
            }
        }
    }

    /// SQLite's `PRAGMA data_version` on one connection kept for it: it changes whenever
    /// another connection (in this or another process) commits (https://www.sqlite.org/pragma.html#pragma_data_version).
    /// A writable store reads it on its own connection, where its own commits do not change it.
    public func generation() throws -> Int {
        try wrap {
            let read = { (db: Database) in try Int.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0 }
            if let watcher { return try watcher.inDatabase(read) }
            return try queue.unsafeReentrantRead(read)
        }
    }
}

/// An event as stored, with its row's id (stable: an event keeps its id when it changes).
public struct StoredEvent: Sendable {
    public var id: Int64
    public var event: Event
    public init(id: Int64, event: Event) {
        self.id = id
        self.event = event
    }
    /// The position after this event in `events(_:after:limit:)`'s order.
    public var cursor: EventCursor { EventCursor(start: event.start, id: id) }
}

/// A position in the order events are listed in: newest start first, then newest id first.
public struct EventCursor: Sendable, Equatable {
    public var start: UInt32
    public var id: Int64
    public init(start: UInt32, id: Int64) {
        self.start = start
        self.id = id
    }
}

/// What the store holds, counted (for /metrics and /health).
public struct StoreTotals: Sendable, Equatable {
    public var files: Int
    public var elements: Int
    public var events: Int
    public var openEvents: Int
    public var censusCountries: Int
    /// The time of the stored census's routing state.
    public var censusTime: UInt32?
    /// The time of the latest element the stored state has seen.
    public var checkpointTime: UInt32?
    /// The bytes of the stored routing state (the checkpoint's pieces).
    public var stateBytes: Int
    /// The routes the stored state holds (every peer's table); nil for a state saved before v6.
    public var routes: Int?
    public init(files: Int, elements: Int, events: Int, openEvents: Int, censusCountries: Int, censusTime: UInt32?,
                checkpointTime: UInt32?, stateBytes: Int, routes: Int? = nil) {
        self.files = files
        self.elements = elements
        self.events = events
        self.openEvents = openEvents
        self.censusCountries = censusCountries
        self.censusTime = censusTime
        self.checkpointTime = checkpointTime
        self.stateBytes = stateBytes
        self.routes = routes
    }
    /// The latest time the stored data reaches: the state's, else the census's.
    public var latestData: UInt32? { checkpointTime ?? censusTime }
}

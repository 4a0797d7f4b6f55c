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
public final class SQLiteStore: Store {
    public let path: String
    private let queue: DatabaseQueue

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
        return m
    }

    /// Opens (creating it and its directory if needed) and migrates the database.
    public init(path: String) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        var config = Configuration()
        config.busyMode = .timeout(5)
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            let migrator = Self.migrator
            if try queue.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError(path: path, "written by a newer version of blackout (unknown migrations); upgrade blackout to read it")
            }
            try migrator.migrate(queue)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError(path: path, Self.explain(error))
        }
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

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as StoreError { throw e } catch { throw StoreError(path: path, Self.explain(error)) }
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
        try wrap {
            try queue.write { db in
                for f in r.files {
                    try db.execute(sql: "INSERT OR IGNORE INTO file VALUES (?, ?, ?, ?, ?)",
                                   arguments: [f.contentHash, f.path, f.collector, f.elements, f.damagedRecords])
                }
                let bin = try db.makeStatement(sql: "INSERT OR REPLACE INTO country_bin VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
                for (cc, b) in r.bins {
                    try bin.execute(arguments: [cc.description, Int(b.time), b.visiblePrefixes, b.slash24s, b.announcements,
                                                b.withdrawals, b.pathChanges, b.flaps, b.fullFeedPeers])
                }
                let asnBin = try db.makeStatement(sql: "INSERT OR REPLACE INTO asn_bin VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                for (asn, b) in r.asnBins {
                    try asnBin.execute(arguments: [Int(asn), Int(b.time), b.visiblePrefixes, b.slash24s, b.announcements,
                                                   b.withdrawals, b.pathChanges, b.flaps])
                }
                try db.execute(sql: "DELETE FROM event WHERE start >= ? AND start < ?", arguments: [Int(r.from), Int(r.to)])
                for e in r.events {
                    try db.execute(sql: """
                        INSERT INTO event (country, asn, kind, severity, start, end, fraction_lost, baseline, prefixes_lost,
                        origins_affected, origins_unaffected, providers_lost, peers, summary)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [e.country.description, e.asn.map { Int($0) }, e.kind.rawValue, e.severity.rawValue,
                                         Int(e.start), e.end.map { Int($0) }, e.fractionLost, e.baseline,
                                         Self.list(e.prefixesLost.map(\.description)), Self.list(e.originsAffected.map { String($0) }),
                                         Self.list(e.originsUnaffected.map { String($0) }), Self.list(e.providersLost.map { String($0) }),
                                         Self.list(e.peers), e.summary])
                }
            }
        }
    }

    /// Lists are stored as tab-separated text (no value holds a tab).
    static func list(_ items: [String]) -> String { items.joined(separator: "\t") }
    static func unlist(_ text: String) -> [String] { text.isEmpty ? [] : text.split(separator: "\t").map(String.init) }

    public func events(_ q: EventQuery) throws -> [Event] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let c = q.country { conditions.append("country = ?"); arguments.append(c.description) }
        if let a = q.asn { conditions.append("asn = ?"); arguments.append(Int(a)) }
        if let k = q.kind { conditions.append("kind = ?"); arguments.append(k.rawValue) }
        // Events overlapping [from, to).
        if let f = q.from { conditions.append("(end IS NULL OR end > ?)"); arguments.append(Int(f)) }
        if let t = q.to { conditions.append("start < ?"); arguments.append(Int(t)) }
        let sql = "SELECT * FROM event" + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            + " ORDER BY start, country, kind"
        return try wrap {
            try queue.read { db in
                try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)).map { row in
                    Event(country: CountryCode(row["country"] as String) ?? CountryCode(rawValue: 0),
                          asn: (row["asn"] as Int?).map(UInt32.init),
                          kind: Event.Kind(rawValue: row["kind"]) ?? .outage,
                          severity: Event.Severity(rawValue: row["severity"]) ?? .partial,
                          start: UInt32(row["start"] as Int), end: (row["end"] as Int?).map(UInt32.init),
                          fractionLost: row["fraction_lost"], baseline: row["baseline"],
                          prefixesLost: Self.unlist(row["prefixes_lost"]).compactMap { Prefix($0) },
                          originsAffected: Self.unlist(row["origins_affected"]).compactMap { UInt32($0) },
                          originsUnaffected: Self.unlist(row["origins_unaffected"]).compactMap { UInt32($0) },
                          providersLost: Self.unlist(row["providers_lost"]).compactMap { UInt32($0) },
                          peers: Self.unlist(row["peers"]), summary: row["summary"])
                }
            }
        }
    }

    public func bins(country: CountryCode, from: UInt32?, to: UInt32?) throws -> [CountryBin] {
        try wrap {
            try queue.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT * FROM country_bin WHERE country = ? AND time >= ? AND time < ? ORDER BY time
                    """, arguments: [country.description, Int(from ?? 0), Int(to ?? UInt32.max)]).map { row in
                    CountryBin(time: UInt32(row["time"] as Int), visiblePrefixes: row["visible_prefixes"],
                               slash24s: row["slash24s"], announcements: row["announcements"], withdrawals: row["withdrawals"],
                               pathChanges: row["path_changes"], flaps: row["flaps"], fullFeedPeers: row["full_feed_peers"])
                }
            }
        }
    }

    public func asnBins(asn: UInt32, from: UInt32?, to: UInt32?) throws -> [ASNBin] {
        try wrap {
            try queue.read { db in
                // The row in force at `from` too, so that the series starts with its value then.
                let start = try Int.fetchOne(db, sql: "SELECT MAX(time) FROM asn_bin WHERE asn = ? AND time <= ?",
                                             arguments: [Int(asn), Int(from ?? 0)]) ?? Int(from ?? 0)
                return try Row.fetchAll(db, sql: """
                    SELECT * FROM asn_bin WHERE asn = ? AND time >= ? AND time < ? ORDER BY time
                    """, arguments: [Int(asn), start, Int(to ?? UInt32.max)]).map { row in
                    ASNBin(time: UInt32(row["time"] as Int), visiblePrefixes: row["visible_prefixes"], slash24s: row["slash24s"],
                           announcements: row["announcements"], withdrawals: row["withdrawals"], pathChanges: row["path_changes"],
                           flaps: row["flaps"])
                }
            }
        }
    }

    public func binTimes(from: UInt32?, to: UInt32?) throws -> [UInt32] {
        try wrap {
            try queue.read { db in
                try Int.fetchAll(db, sql: "SELECT DISTINCT time FROM country_bin WHERE time >= ? AND time < ? ORDER BY time",
                                 arguments: [Int(from ?? 0), Int(to ?? UInt32.max)]).map { UInt32($0) }
            }
        }
    }

    public func files() throws -> [IngestedFile] {
        try wrap {
            try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT * FROM file ORDER BY path").map {
                    IngestedFile(contentHash: $0["content_hash"], path: $0["path"], collector: $0["collector"],
                                 elements: $0["elements"], damagedRecords: $0["damaged_records"])
                }
            }
        }
    }
}

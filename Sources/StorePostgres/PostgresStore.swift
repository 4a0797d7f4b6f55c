import Foundation
import MRT
import NIOCore
import Outages
import PostgresNIO
import Registry
import Store

/// The shared store: PostgreSQL through postgres-nio, for several machines (or processes)
/// that write and read the same results (`--db postgres://…`). It gives the results
/// `SQLiteStore` gives for the same calls (one test suite runs against both), with the same
/// named migrations (`PostgresSchema`).
///
/// Each save is one transaction, so a writer killed half-way stores nothing. Connections
/// come from a small pool (`PostgresPool`) that reconnects with back-off while the server
/// restarts. The interface is synchronous like `Store`'s: each call blocks its thread while
/// the query runs on SwiftNIO's event loops.
public final class PostgresStore: Store, @unchecked Sendable {
    public let location: PostgresLocation
    public var webhooks: WebhookPlan?
    let pool: PostgresPool
    /// The commit count of the state this process restored or saved (`StoreWriters`).
    let writers = StoreWriters()

    /// Connects to `url` (see `PostgresLocation`), creating or migrating the schema.
    /// - Parameters:
    ///   - connections: the most connections open at once.
    ///   - reconnectFor: seconds to keep trying to reach the server before an error.
    public init(_ url: String, connections: Int = 4, reconnectFor: Double = 10) throws {
        location = try PostgresLocation(url)
        pool = try PostgresPool(location, capacity: connections, reconnectFor: reconnectFor)
        try PostgresSchema.migrate(pool)
    }

    /// How long a call keeps trying to reach the server (a worker waits out a restart).
    public var reconnectFor: Double {
        get { pool.reconnectFor }
        set { pool.reconnectFor = newValue }
    }

    /// Closes the connections; later calls fail.
    public func close() { pool.close() }

    /// Runs `body` inside one transaction on one connection (the work queue's operations).
    func transaction<T>(retrying: Bool = true, _ body: (PostgresSession) throws -> T) throws -> T {
        try pool.transaction(retrying: retrying, body)
    }
    func with<T>(_ body: (PostgresSession) throws -> T) throws -> T { try pool.with(body) }

    func reader(_ row: PostgresRow, _ table: String, key: String = "?") -> PostgresRowReader {
        PostgresRowReader(row, table: table, key: key, location: location)
    }

    // MARK: Files

    public func knownFiles(_ hashes: [String]) throws -> Set<String> {
        guard !hashes.isEmpty else { return [] }
        return try with { s in
            var out: Set<String> = []
            for row in try s.query("SELECT content_hash FROM file WHERE content_hash = ANY(\(hashes))") {
                out.insert(try reader(row, "file").text("content_hash"))
            }
            return out
        }
    }

    public func files() throws -> [IngestedFile] {
        try with { s in
            try s.execute(#"SELECT * FROM file ORDER BY path COLLATE "C""#).map { row in
                try StoredRows.file(reader(row, "file"))
            }
        }
    }

    // MARK: Saving

    public func save(_ r: IngestResult) throws {
        try save(streaming: { nil }, then: { r })
    }

    public func save(streaming bins: () -> [(series: SeriesID, bin: SeriesBin)]?, then rest: () throws -> IngestResult) throws {
        let webhooks = webhooks
        // Not retried on a new connection: the bins handed over are consumed.
        let committed = try transaction(retrying: false) { s in
            while let batch = bins() { try Self.insertBins(batch, in: s) }
            let r = try rest()
            if !r.files.isEmpty {
                try s.query("""
                    INSERT INTO file SELECT * FROM unnest(\(r.files.map(\.contentHash)), \(r.files.map(\.path)),
                      \(r.files.map(\.collector)), \(r.files.map { Int64($0.elements) }), \(r.files.map { Int64($0.damagedRecords) }))
                    ON CONFLICT DO NOTHING
                    """)
            }
            try Self.insertBins(r.bins, in: s)
            for e in r.events {
                // Webhook deliveries, decided against the stored version before it is replaced.
                if let plan = webhooks { try queueAlerts(for: e, plan: plan, in: s) }
                try Self.upsert(e, in: s)
            }
            if let census = r.census { try Self.replaceCensus(census, in: s) }
            Failpoint.pause("hold-commit")
            // Two processes that restored the same state and both save a new one would lose
            // the first's work: the second is refused. (Locked to the commit.)
            guard let row = try s.execute("SELECT n FROM commit_count WHERE id = 1 FOR UPDATE").first else {
                throw StoreError(path: location.description, "table commit_count is empty")
            }
            let n = try reader(row, "commit_count").int("n")
            if r.checkpoint != nil { try writers.check(count: n, path: location.description) }
            if let c = r.checkpoint { try Self.writeCheckpoint(c, in: s) }
            try s.execute("UPDATE commit_count SET n = n + 1 WHERE id = 1")
            return n + 1
        }
        writers.read(count: committed)
    }

    /// Rows per statement: 13 arrays of this many values.
    static let binBatch = 20_000

    static func insertBins(_ bins: [(series: SeriesID, bin: SeriesBin)], in s: PostgresSession) throws {
        var at = 0
        while at < bins.count {
            let part = bins[at..<min(bins.count, at + binBatch)]
            at = part.endIndex
            func column(_ f: (SeriesBin) -> Int) -> [Int64] { part.map { Int64(f($0.bin)) } }
            try s.query("""
                INSERT INTO bin SELECT * FROM unnest(\(part.map { $0.series.subject.description }), \(part.map { $0.series.family.rawValue }),
                  \(column { Int($0.time) }), \(column(\.visiblePrefixes)), \(part.map(\.bin.space)), \(column(\.announcements)),
                  \(column(\.withdrawals)), \(column(\.pathChanges)), \(column(\.flaps)), \(column(\.unstablePrefixes)),
                  \(column(\.fullFeedPeers)), \(column(\.peers)), \(column(\.collectors)))
                ON CONFLICT (series, family, time) DO UPDATE SET visible_prefixes = excluded.visible_prefixes,
                  space = excluded.space, announcements = excluded.announcements, withdrawals = excluded.withdrawals,
                  path_changes = excluded.path_changes, flaps = excluded.flaps, unstable_prefixes = excluded.unstable_prefixes,
                  full_feed_peers = excluded.full_feed_peers, peers = excluded.peers, collectors = excluded.collectors
                """)
        }
    }

    static func upsert(_ e: Event, in s: PostgresSession) throws {
        let list = StoredRows.join
        try s.query("""
            INSERT INTO event (\(unescaped: StoredRows.eventColumns))
            VALUES (\(e.key), \(e.country?.description), \(e.asn.map { Int64($0) }), \(e.family.rawValue), \(e.kind.rawValue),
              \(e.severity.rawValue), \(Int64(e.start)), \(e.end.map { Int64($0) }), \(Int64(e.lastSeen)), \(e.fractionLost),
              \(e.baseline), \(list(e.prefixesLost.map(\.description))), \(list(e.originsAffected.map { String($0) })),
              \(list(e.originsUnaffected.map { String($0) })), \(list(e.providersLost.map { String($0) })), \(list(e.peers)),
              \(list(e.collectors)), \(Int64(e.flaps)), \(Int64(e.dips)), \(e.summary))
            \(unescaped: StoredRows.eventUpsert)
            """)
    }

    static func replaceCensus(_ rows: [StoredCensus], in s: PostgresSession) throws {
        try s.execute("DELETE FROM census")
        guard !rows.isEmpty else { return }
        try s.query("""
            INSERT INTO census SELECT * FROM unnest(\(rows.map(\.country.description)), \(rows.map { Int64($0.time) }),
              \(rows.map { Int64($0.prefixes) }), \(rows.map(\.slash24s)), \(rows.map { Int64($0.ipv6Prefixes) }),
              \(rows.map { Int64($0.origins) }), \(rows.map { Int64($0.providers) }), \(rows.map(\.risk)), \(rows.map(\.json)))
            """)
    }

    static func writeCheckpoint(_ c: Checkpoint, in s: PostgresSession) throws {
        try s.execute("DELETE FROM checkpoint_piece")
        try c.storePieces { part, n, raw in
            var buffer = ByteBufferAllocator().buffer(capacity: raw.count)
            buffer.writeBytes(raw)
            try s.query("INSERT INTO checkpoint_piece VALUES (\(Int32(part)), \(Int32(n)), \(buffer))")
        }
        try s.query("""
            INSERT INTO checkpoint (id, time, bytes, routes) VALUES (1, \(Int64(c.time)), '\\x'::bytea, \(c.routes.map { Int64($0) }))
            ON CONFLICT (id) DO UPDATE SET time = excluded.time, bytes = excluded.bytes, routes = excluded.routes
            """)
    }

    public func checkpoint() throws -> Checkpoint? {
        try with { s in
            if let row = try s.execute("SELECT n FROM commit_count WHERE id = 1").first {
                writers.read(count: try reader(row, "commit_count").int("n"))
            }
            guard let row = try s.execute("SELECT time, bytes, routes FROM checkpoint WHERE id = 1").first else { return nil }
            let r = reader(row, "checkpoint", key: "1")
            var c = Checkpoint(time: try r.time("time"), bytes: try r.bytes("bytes"))
            c.routes = try r.optionalInt("routes")
            for row in try s.execute("SELECT n, bytes FROM checkpoint_piece WHERE part = 0 ORDER BY n") {
                c.bytes += try reader(row, "checkpoint_piece").bytes("bytes")
            }
            // The routing tables' pieces are read one at a time, as the restore asks for them.
            c.pieces = Checkpoint.tablePieces { [self] n in
                try with { s in
                    try s.query("SELECT bytes FROM checkpoint_piece WHERE part = 1 AND n = \(Int32(n))").first.map { row in
                        try reader(row, "checkpoint_piece", key: "1/\(n)").bytes("bytes")
                    }
                }
            }
            return c
        }
    }

    public func clear() throws {
        try transaction { s in
            try s.execute("DELETE FROM file; DELETE FROM bin; DELETE FROM event; DELETE FROM checkpoint; DELETE FROM checkpoint_piece; DELETE FROM census;")
            if let row = try s.execute("UPDATE commit_count SET n = n + 1 WHERE id = 1 RETURNING n").first {
                writers.read(count: try reader(row, "commit_count").int("n"))
            }
        }
    }

    // MARK: Reading

    public func events(_ q: EventQuery) throws -> [Event] {
        var sql = SQL("SELECT * FROM event")
        sql.add(where: try sql.conditions(q))
        sql.text += #" ORDER BY start, asn IS NOT NULL, country COLLATE "C" NULLS FIRST, asn NULLS FIRST, family COLLATE "C", kind COLLATE "C""#
        return try with { s in try s.query(sql.query).map { try StoredRows.event(reader($0, "event")) } }
    }

    public func bins(_ id: SeriesID, from: UInt32?, to: UInt32?) throws -> [SeriesBin] {
        let series = id.subject.description, family = id.family.rawValue
        return try with { s in
            var start = Int64(from ?? 0)
            if case .asn = id.subject {  // the row in force at `from` too
                if let row = try s.query("SELECT MAX(time) AS t FROM bin WHERE series = \(series) AND family = \(family) AND time <= \(start)").first,
                   let t = try reader(row, "bin").optionalInt("t") {
                    start = Int64(t)
                }
            }
            return try s.query("""
                SELECT * FROM bin WHERE series = \(series) AND family = \(family) AND time >= \(start) AND time < \(Int64(to ?? UInt32.max))
                ORDER BY time
                """).map { try StoredRows.bin(reader($0, "bin", key: "\(id)")) }
        }
    }

    public func binTimes(from: UInt32?, to: UInt32?) throws -> [UInt32] {
        try with { s in
            try s.query("""
                SELECT DISTINCT time FROM bin WHERE series NOT LIKE 'AS%' AND time >= \(Int64(from ?? 0)) AND time < \(Int64(to ?? UInt32.max))
                ORDER BY time
                """).map { try reader($0, "bin").time("time") }
        }
    }

    public func hasSeries(_ subject: SeriesSubject) throws -> Bool {
        try with { s in !(try s.query("SELECT 1 FROM bin WHERE series = \(subject.description) LIMIT 1").isEmpty) }
    }

    public func censuses() throws -> [StoredCensus] {
        try with { s in try s.execute(#"SELECT * FROM census ORDER BY country COLLATE "C""#).map { try StoredRows.census(reader($0, "census")) } }
    }

    public func census(_ country: CountryCode) throws -> StoredCensus? {
        try with { s in
            try s.query("SELECT * FROM census WHERE country = \(country.description)").first.map { try StoredRows.census(reader($0, "census")) }
        }
    }
}

/// SQL with numbered parameters, built a piece at a time (an event query's conditions).
struct SQL {
    var text: String
    var binds = PostgresBindings()
    init(_ text: String) { self.text = text }

    /// Binds `value` and returns its placeholder.
    mutating func bind(_ value: some PostgresEncodable & Sendable) throws -> String {
        try binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: text, binds: binds) }

    /// The conditions of `q` (as `SQLiteStore.conditions` reads them), their values bound.
    mutating func conditions(_ q: EventQuery) throws -> [String] {
        var c: [String] = []
        if let cc = q.country { c.append("country = " + (try bind(cc.description))) }
        if let a = q.asn { c.append("asn = " + (try bind(Int64(a)))) }
        if let k = q.kind { c.append("kind = " + (try bind(k.rawValue))) }
        if let f = q.family { c.append("family = " + (try bind(f.rawValue))) }
        // Events overlapping [from, to).
        if let f = q.from { c.append("(\"end\" IS NULL OR \"end\" > \(try bind(Int64(f))))") }
        if let t = q.to { c.append("start < " + (try bind(Int64(t)))) }
        return c
    }

    /// Adds ` WHERE` and `conditions`, if any.
    mutating func add(where conditions: [String]) {
        if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
    }
}

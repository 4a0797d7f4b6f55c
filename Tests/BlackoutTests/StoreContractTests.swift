import Foundation
import MRT
import Outages
import Pipeline
import Registry
import Store
import StorePostgres
import Testing
import TestSupport

/// The stores behind `--db`: a SQLite file, or a database on a PostgreSQL server.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }

    /// A new, empty location of this kind, and how to remove it.
    func location(_ label: String) throws -> (db: String, remove: @Sendable () -> Void) {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-store-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            return (dir.appendingPathComponent("\(label).sqlite").path, { try? FileManager.default.removeItem(at: dir) })
        case .postgres:
            let d = try TestPostgres.database(label)
            return (d.url, d.drop)
        }
    }
}

/// One suite, run against both stores: each call gives the same answer whichever store
/// holds the data (the "same results, same tests").
@Suite(.serialized) struct StoreContractTests {
    static let t0: UInt32 = 1_401_494_400
    static let kp = SeriesID(.country(CountryCode("KP")!)), kp6 = SeriesID(.country(CountryCode("KP")!), .ipv6)
    static let us = SeriesID(.country(CountryCode("US")!)), as131279 = SeriesID(.asn(131_279))

    static func event(_ cc: String, asn: UInt32? = nil, start: UInt32, end: UInt32? = nil, severity: Event.Severity = .complete,
                      fraction: Double = 1, kind: Event.Kind = .outage) -> Event {
        Event(country: CountryCode(cc), asn: asn, kind: kind, severity: severity, start: start, end: end, fractionLost: fraction,
              baseline: 4, prefixesLost: [Prefix("175.45.176.0/24")!, Prefix("175.45.177.0/24")!], originsAffected: [131_279],
              originsUnaffected: [], providersLost: [4837], peers: ["route-views2 AS3356 4.69.184.193"],
              collectors: ["route-views2"], flaps: 2, dips: 1, summary: "\(cc): outage \"quoted\"\tand tabbed?")
    }

    /// Bins: KP and US every 5 minutes for an hour, KP IPv6, AS131279 only where it changed.
    static var bins: [(series: SeriesID, bin: SeriesBin)] {
        var out: [(series: SeriesID, bin: SeriesBin)] = []
        for i in 0..<12 {
            let t = t0 + UInt32(i) * 300
            let down = (4...7).contains(i)
            out.append((kp, SeriesBin(time: t, visiblePrefixes: down ? 0 : 4, space: down ? 0 : 4, announcements: i, withdrawals: down ? 4 : 0,
                                      pathChanges: 1, flaps: i % 2, unstablePrefixes: 1, fullFeedPeers: 38, peers: 40, collectors: 2)))
            out.append((kp6, SeriesBin(time: t, visiblePrefixes: 1, space: 0.25, fullFeedPeers: 20, peers: 40, collectors: 2)))
            out.append((us, SeriesBin(time: t, visiblePrefixes: 150_000 + i, space: 1_234_567.5, fullFeedPeers: 38, peers: 40, collectors: 2)))
            if i == 0 || i == 4 || i == 8 {
                out.append((as131279, SeriesBin(time: t, visiblePrefixes: down ? 0 : 4, space: down ? 0 : 4)))
            }
        }
        return out
    }

    static func census(_ cc: String, prefixes: Int) -> StoredCensus {
        StoredCensus(country: CountryCode(cc)!, time: t0 + 3300, prefixes: prefixes, slash24s: Double(prefixes) * 1.5,
                     ipv6Prefixes: 1, origins: 1, providers: 1, risk: "severe", json: "{\"country\":\"\(cc)\",\"é\":\"ü\"}")
    }

    /// A checkpoint of 2.5 MiB of bytes and three pieces of routing tables.
    static var checkpoint: Checkpoint {
        var c = Checkpoint(time: t0 + 3599, writer: CheckpointWriter { emit in
            for n in 0..<3 {
                let piece = [UInt8](repeating: UInt8(n + 1), count: 1000 + n)
                try piece.withUnsafeBytes { try emit($0) }
            }
            return (0..<(5 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        })
        c.routes = 503_602
        return c
    }

    static func files() -> [IngestedFile] {
        [IngestedFile(contentHash: "b2", path: "rrc00/updates.20141222.1600.gz", collector: "rrc00", elements: 12, damagedRecords: 1),
         IngestedFile(contentHash: "a1", path: "route-views2/Z-rib.bz2", collector: "route-views2", elements: 500_000, damagedRecords: 0),
         IngestedFile(contentHash: "c3", path: "route-views2/a-updates.bz2", collector: "route-views2", elements: 7, damagedRecords: 0)]
    }

    static func fill(_ store: any Store) throws {
        var r = IngestResult(files: files(), bins: bins,
                             events: [event("KP", start: t0 + 1200, end: t0 + 2400), event("KP", asn: 131_279, start: t0 + 1200),
                                      event("US", start: t0 + 600, end: t0 + 900, severity: .partial, fraction: 0.2, kind: .instability)],
                             checkpoint: checkpoint)
        r.census = [census("KP", prefixes: 4), census("US", prefixes: 150_011)]
        try store.save(r)
    }

    @Test(arguments: StoreKind.allCases)
    func whatIsSavedIsReadBack(kind: StoreKind) throws {
        let (db, remove) = try kind.location("roundtrip")
        defer { remove() }
        let store = try StoreLocation.open(db)
        try Self.fill(store)

        #expect(try store.knownFiles(["a1", "zz", "c3"]) == ["a1", "c3"])
        #expect(try store.knownFiles([]) == [])
        // Files by path, byte order (upper case first).
        #expect(try store.files().map(\.path) == ["route-views2/Z-rib.bz2", "route-views2/a-updates.bz2", "rrc00/updates.20141222.1600.gz"])
        #expect(try store.files().first { $0.contentHash == "b2" } == Self.files()[0])

        // Bins: every series, and ranges.
        for id in [Self.kp, Self.kp6, Self.us] {
            #expect(try store.bins(id, from: nil, to: nil) == Self.bins.filter { $0.series == id }.map(\.bin))
        }
        #expect(try store.bins(Self.kp, from: Self.t0 + 600, to: Self.t0 + 1500).map(\.time) == [600, 900, 1200].map { Self.t0 + $0 })
        // An origin AS: the row in force at `from` comes first.
        #expect(try store.bins(Self.as131279, from: Self.t0 + 1500, to: Self.t0 + 2700).map(\.time) == [Self.t0 + 1200, Self.t0 + 2400])
        #expect(try store.binTimes(from: Self.t0 + 3000, to: nil) == [3000, 3300].map { Self.t0 + $0 })
        #expect(try store.hasSeries(.country(CountryCode("KP")!)) && store.hasSeries(.asn(131_279)))
        #expect(try !store.hasSeries(.country(CountryCode("SY")!)))
        #expect(try store.latestBinTime(Self.kp6) == Self.t0 + 3300)
        #expect(try store.latestBinTime(SeriesID(.asn(1))) == nil)

        // Events: order, filters, paging.
        let all = try store.events(EventQuery())
        #expect(all.map(\.key) == ["instability US ipv4 \(Self.t0 + 600)", "outage KP ipv4 \(Self.t0 + 1200)", "outage AS131279 ipv4 \(Self.t0 + 1200)"])
        #expect(all[1] == Self.event("KP", start: Self.t0 + 1200, end: Self.t0 + 2400))
        #expect(try store.events(EventQuery(country: CountryCode("KP"))).count == 2)
        #expect(try store.events(EventQuery(asn: 131_279)).map(\.asn) == [131_279])
        #expect(try store.events(EventQuery(kind: .instability)).map(\.country) == [CountryCode("US")])
        #expect(try store.events(EventQuery(family: .ipv6)).isEmpty)
        #expect(try store.events(EventQuery(from: Self.t0 + 2400)).map(\.asn) == [131_279])  // the one still open
        #expect(try store.events(EventQuery(to: Self.t0 + 1200)).count == 1)
        let page1 = try store.events(EventQuery(), after: nil, limit: 2)
        let page2 = try store.events(EventQuery(), after: page1.last?.cursor, limit: 2)
        #expect(page1.map(\.event.start) == [Self.t0 + 1200, Self.t0 + 1200] && page1[0].id > page1[1].id)
        #expect(page2.map(\.event.key) == ["instability US ipv4 \(Self.t0 + 600)"])
        #expect(try store.openEventCounts() == [CountryCode("KP")!: 1])

        // The census, the checkpoint, the totals.
        #expect(try store.censuses() == [Self.census("KP", prefixes: 4), Self.census("US", prefixes: 150_011)])
        #expect(try store.census(CountryCode("US")!) == Self.census("US", prefixes: 150_011))
        #expect(try store.census(CountryCode("SY")!) == nil)
        let c = try #require(try store.checkpoint())
        let expected = Self.checkpoint
        #expect(c.time == expected.time && c.routes == 503_602)
        #expect(c.bytes == (0..<(5 << 19)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var pieces: [[UInt8]] = []
        while let p = try c.pieces?() { pieces.append(p) }
        #expect(pieces == (0..<3).map { [UInt8](repeating: UInt8($0 + 1), count: 1000 + $0) })
        let totals = try store.totals()
        #expect(totals == StoreTotals(files: 3, elements: 500_019, events: 3, openEvents: 1, censusCountries: 2, censusTime: Self.t0 + 3300,
                                      checkpointTime: Self.t0 + 3599, stateBytes: (5 << 19) + 3003, routes: 503_602))
    }

    @Test(arguments: StoreKind.allCases)
    func savesReplaceAndClearForgets(kind: StoreKind) throws {
        let (db, remove) = try kind.location("replace")
        defer { remove() }
        let store = try StoreLocation.open(db)
        try Self.fill(store)
        // The same event again (by key) replaces the stored one and keeps its id; a bin again replaces its row.
        let before = try store.events(EventQuery(asn: 131_279), after: nil, limit: 1)
        var bin = Self.bins[0]
        bin.bin.visiblePrefixes = 99
        try store.save(IngestResult(files: Self.files(), bins: [bin], events: [Self.event("KP", asn: 131_279, start: Self.t0 + 1200, end: Self.t0 + 3000)]))
        let after = try store.events(EventQuery(asn: 131_279), after: nil, limit: 1)
        #expect(after.map(\.id) == before.map(\.id) && after.first?.event.end == Self.t0 + 3000)
        #expect(try store.bins(Self.kp, from: nil, to: Self.t0 + 1).map(\.visiblePrefixes) == [99])
        #expect(try store.files().count == 3 && store.openEventCounts().isEmpty)
        // A save without a checkpoint or census keeps the stored ones.
        #expect(try store.checkpoint()?.time == Self.t0 + 3599 && store.censuses().count == 2)

        try store.clear()
        #expect(try store.files().isEmpty && store.events(EventQuery()).isEmpty && store.binTimes(from: nil, to: nil).isEmpty)
        #expect(try store.checkpoint() == nil && store.censuses().isEmpty)
        #expect(try store.totals() == StoreTotals(files: 0, elements: 0, events: 0, openEvents: 0, censusCountries: 0, censusTime: nil,
                                                  checkpointTime: nil, stateBytes: 0, routes: nil))
    }

    struct Abort: Error {}

    /// A save that fails half-way (after its bins were handed over) stores nothing of itself
    /// and leaves what was stored before.
    @Test(arguments: StoreKind.allCases)
    func aFailedSaveStoresNothing(kind: StoreKind) throws {
        let (db, remove) = try kind.location("abort")
        defer { remove() }
        let store = try StoreLocation.open(db)
        try Self.fill(store)
        let totals = try store.totals()
        var batches = [Self.bins.map { (series: $0.series, bin: SeriesBin(time: $0.bin.time + 3600, visiblePrefixes: 1, space: 1)) }]
        #expect(throws: (any Error).self) {  // SQLite wraps it in a StoreError; PostgreSQL passes it on
            try store.save(streaming: { batches.popLast() }, then: {
                throw Abort()
            })
        }
        #expect(try store.totals() == totals)
        #expect(try store.binTimes(from: Self.t0 + 3600, to: nil).isEmpty)
        #expect(try store.checkpoint()?.time == Self.t0 + 3599)
    }

    /// Another connection's commit changes the generation a reader sees (what the server's
    /// cache is checked against).
    @Test(arguments: StoreKind.allCases)
    func aCommitChangesTheGenerationReadersSee(kind: StoreKind) throws {
        let (db, remove) = try kind.location("generation")
        defer { remove() }
        let writer = try StoreLocation.open(db)
        let reader = try StoreLocation.openForReading(db)
        let g0 = try reader.generation()
        #expect(try reader.generation() == g0)
        try Self.fill(writer)
        let g1 = try reader.generation()
        #expect(g1 != g0)
        #expect(try reader.events(EventQuery()).count == 3)
        try writer.clear()
        #expect(try reader.generation() != g1)
    }

    /// Webhook deliveries: queued in the save's transaction by `AlertRule`, listed in order,
    /// marked delivered or failed, retried.
    @Test(arguments: StoreKind.allCases)
    func webhookDeliveriesAreQueuedAndMarked(kind: StoreKind) throws {
        let (db, remove) = try kind.location("alerts")
        defer { remove() }
        let store = try StoreLocation.open(db)
        store.webhooks = WebhookPlan(urls: ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"], render: { "{\"key\":\"\($0.key)\"}" })
        let t = Self.t0
        try store.save(IngestResult(files: [], bins: [], events: [Self.event("KP", start: t, severity: .partial, fraction: 0.5)]))
        try store.save(IngestResult(files: [], bins: [], events: [Self.event("KP", start: t, severity: .partial, fraction: 0.55)]))  // not deeper
        try store.save(IngestResult(files: [], bins: [], events: [Self.event("KP", start: t, severity: .complete, fraction: 1)]))
        try store.save(IngestResult(files: [], bins: [], events: [Self.event("KP", start: t, end: t + 900, severity: .complete, fraction: 1)]))
        try store.save(IngestResult(files: [], bins: [], events: [Self.event("KP", start: t, end: t + 900, severity: .complete, fraction: 1)]))
        let all = try store.alertDeliveries(limit: 100)
        #expect(all.count == 6)
        #expect(all.reversed().map(\.change) == [.opened, .opened, .deepened, .deepened, .closed, .closed])
        #expect(all.last?.payload == "{\"key\":\"outage KP ipv4 \(t)\",\"change\":\"opened\",\"id\":\"outage-KP-ipv4-\(t)-opened\"}")
        #expect(try store.alertCounts() == (6, 0, 0) && store.undeliveredAlerts() == 6)
        // Only the oldest undelivered change of each event and URL is due.
        let now = Date().timeIntervalSince1970 + 1
        var due = try store.dueAlerts(now: now, limit: 10)
        #expect(due.map(\.change) == [.opened, .opened] && Set(due.map(\.url)).count == 2)
        try store.markAlertDelivered(row: due[0].row, at: now)
        try store.markAlertFailed(row: due[1].row, at: now, error: "HTTP 500", retryAt: now + 60)
        due = try store.dueAlerts(now: now, limit: 10)
        #expect(due.map(\.change) == [.deepened] && due[0].url == all.last?.url)
        #expect(try store.nextAlertTime() == due[0].nextAttempt)
        #expect(try store.alertCounts() == (4, 1, 1))
        try store.markAlertFailed(row: due[0].row, at: now, error: "HTTP 404", retryAt: nil)  // given up
        #expect(try store.alertDeliveries(limit: 100).filter { $0.status == .failed }.map(\.lastError) == ["HTTP 404"])
        #expect(try store.undeliveredAlerts() == 4)
        #expect(try store.retryAlerts(now: UInt32(now)) == 5)
        #expect(try store.alertDeliveries(limit: 100).filter { $0.status == .failed }.isEmpty)
    }

    /// Two processes that restored the same state both save a new one: the second is refused
    /// and stores nothing (it would lose the first's work); after reading the state again it may save.
    @Test(arguments: StoreKind.allCases)
    func aSecondWriterOfTheSameStateIsRefused(kind: StoreKind) throws {
        let (db, remove) = try kind.location("writers")
        defer { remove() }
        let a = try StoreLocation.open(db), b = try StoreLocation.open(db)
        try Self.fill(a)
        _ = try a.checkpoint()
        _ = try b.checkpoint()
        var next = Self.checkpoint
        next.time += 600
        try a.save(IngestResult(files: [], bins: [], events: [], checkpoint: next))
        #expect { try b.save(IngestResult(files: [], bins: [], events: [], checkpoint: Self.checkpoint)) }
            throws: { "\($0)".contains("another process saved to this store") }
        #expect(try b.checkpoint()?.time == next.time)
        next.time += 600
        try b.save(IngestResult(files: [], bins: [], events: [], checkpoint: next))
        try a.save(IngestResult(files: [], bins: [], events: [Self.event("SY", start: 1)]))  // no state: not refused
        #expect(try a.checkpoint()?.time == next.time)
    }

    /// A store written by a newer Blackout (a migration this build does not know) is refused.
    @Test(arguments: StoreKind.allCases)
    func aNewerStoreIsRefused(kind: StoreKind) throws {
        let (db, remove) = try kind.location("newer")
        defer { remove() }
        _ = try StoreLocation.open(db)
        switch kind {
        case .sqlite:
            let r = try TestPostgres.run("/usr/bin/env", ["python3", "-c",
                "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO grdb_migrations VALUES ('v99: from the future')\"); c.commit()", db])
            #expect(r.status == 0, "\(r.stderr)")
        case .postgres:
            try TestPostgres.psql(db, "INSERT INTO blackout_migrations (name) VALUES ('v99: from the future')")
        }
        #expect {
            _ = try StoreLocation.open(db)
        } throws: { "\($0)".contains("newer version of blackout") }
        let r = try CLI.run(["events", "--db", db])
        #expect(r.status != 0 && r.stderr.contains("newer version of blackout"), "\(r.stderr)")
    }
}

/// PostgreSQL's own failure modes: URLs, an unreachable server, a server that restarts.
@Suite(.serialized) struct PostgresStoreTests {
    @Test func urlsParseAsLibpqReadsThem() throws {
        let l = try PostgresLocation("postgres://al%40ice:p%3Ass@[::1]:5433/results?sslmode=verify-full&sslrootcert=/etc/ca.pem", environment: [:])
        #expect(l.user == "al@ice" && l.password == "p:ss" && l.host == "::1" && l.port == 5433 && l.database == "results")
        #expect(l.tls == .verifyFull && l.rootCertificate == "/etc/ca.pem")
        #expect(l.description == "postgres://al@ice@[::1]:5433/results")  // no password
        let env = try PostgresLocation("postgresql://bob@db.example/blackout", environment: ["PGPASSWORD": "secret"])
        #expect(env.password == "secret" && env.port == 5432 && env.tls == .prefer)
        for bad in ["postgres://host/db", "postgres://u@host", "postgres://u@host:99999/db", "postgres://u@host/db?sslmode=maybe",
                    "postgres://u@host/db?colour=blue", "postgres://u:pw@/db"] {
            #expect(throws: StoreError.self, "\(bad)") { try PostgresLocation(bad, environment: [:]) }
        }
        // A password never appears in an error.
        #expect { try PostgresLocation("postgres://u:hunter2@host:0/db", environment: [:]) } throws: { !"\($0)".contains("hunter2") }
    }

    @Test func anUnreachableServerIsAClearError() throws {
        let port = try TestPostgres.freePort()
        let url = "postgres://blackout:blackout@127.0.0.1:\(port)/blackout?sslmode=disable"
        let start = Date()
        #expect {
            _ = try PostgresStore(url, reconnectFor: 1)
        } throws: {
            // Marked as a lost connection: what a worker waits out and tries again.
            "\($0)".contains("cannot reach PostgreSQL at 127.0.0.1:\(port)") && !"\($0)".contains("blackout:blackout")
                && ($0 as? StoreError)?.connectionLost == true
        }
        #expect(Date().timeIntervalSince(start) < 10)
        let r = try CLI.run(["events", "--db", url])
        #expect(r.status == 1 && r.stderr.contains("cannot reach PostgreSQL at 127.0.0.1:\(port)"), "\(r.stderr)")
        // A wrong password is said at once, not waited out.
        let admin = try PostgresLocation(try TestPostgres.serverURL(), environment: [:])
        let host = admin.host.contains(":") ? "[\(admin.host)]" : admin.host
        let wrong = "postgres://\(admin.user):not-the-password@\(host):\(admin.port)/\(admin.database)?sslmode=disable"
        let r2 = try CLI.run(["events", "--db", wrong])
        #expect(r2.status == 1 && r2.stderr.contains("password authentication failed") && !r2.stderr.contains("not-the-password"), "\(r2.stderr)")
    }

    /// A server restarted between two calls (or during a wait): the store reconnects with
    /// back-off and goes on; what it had stored is there.
    @Test func theStoreReconnectsAfterARestart() throws {
        let server = try TestPostgres.Server(port: try TestPostgres.freePort())
        defer { server.remove() }
        try server.start()
        try TestPostgres.psql(server.url(database: "postgres"), "CREATE DATABASE restart")
        let store = try PostgresStore(server.url(database: "restart"), reconnectFor: 60)
        try StoreContractTests.fill(store)
        server.stop(immediately: true)
        // Back in two seconds, while the next call waits for it.
        let restart = Thread { Thread.sleep(forTimeInterval: 2); try? server.start() }
        restart.start()
        #expect(try store.events(EventQuery()).count == 3)
        #expect(try store.totals().files == 3)
        while !restart.isFinished { usleep(10_000) }
    }
}

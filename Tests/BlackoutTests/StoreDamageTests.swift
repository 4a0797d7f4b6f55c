import Foundation
import GRDB
import Outages
import Pipeline
import Registry
import Store
import Testing
import TestSupport

/// A database whose rows or checkpoint cannot be read: an error naming the table, the row
/// and the column (or the checkpoint and its offset), exit 1, never a trap.
@Suite(.enabled(if: CLI.sharedDataAvailable, "../shared/data is not beside the checkout"))
struct StoreDamageTests {
    static func database() throws -> (URL, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-damage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("db.sqlite").path
        _ = try SQLiteStore(path: path)  // the schema
        return (dir, path)
    }

    @Test func unreadableRowsAreNamed() throws {
        let (dir, path) = try Self.database()
        defer { try? FileManager.default.removeItem(at: dir) }
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO event (key, country, asn, family, kind, severity, start, "end", last_seen, fraction_lost, baseline,
                  prefixes_lost, origins_affected, origins_unaffected, providers_lost, peers, collectors, flaps, dips, summary)
                VALUES ('outage KP ipv4 1', 'KP', NULL, 'ipv4', 'outage', 'complete', -5, NULL, 0, 1.0, 4.0, '', '', '', '', '', '', 0, 0, 'x')
                """)
            try db.execute(sql: "INSERT INTO bin VALUES ('KP', 'ipv4', 1401487200, -3, 4.0, 0, 0, 0, 0, 0, 1, 1, 1)")
            try db.execute(sql: "INSERT INTO bin VALUES ('SY', 'ipv4', 1401487200, 'many', 4.0, 0, 0, 0, 0, 0, 1, 1, 1)")
        }
        let events = try CLI.run(["events", "--db", path, "--json"])
        #expect(events.status == 1 && events.stderr.contains("table event, row 1: column start: time out of range (-5)"), "\(events.stderr)")
        let kp = try CLI.run(["timeline", "--db", path, "--country", "KP", "--csv"])
        #expect(kp.status == 1 && kp.stderr.contains("table bin, row KP ipv4 at 1401487200: column visible_prefixes: negative (-3)"), "\(kp.stderr)")
        let sy = try CLI.run(["timeline", "--db", path, "--country", "SY"])
        #expect(sy.status == 1 && sy.stderr.contains("column visible_prefixes: not an integer"), "\(sy.stderr)")
    }

    @Test func damagedCheckpointIsRefusedWithWhatToDo() throws {
        let (dir, path) = try Self.database()
        defer { try? FileManager.default.removeItem(at: dir) }
        let updates = TestData.path("mrt/routeviews/route-views2.updates.20130101.part3.mrt")
        let registry = TestData.path("registry")
        let first = try CLI.run(["ingest", "--db", path, "--registry", registry, updates])
        #expect(first.status == 0, "\(first.stderr)")
        let queue = try DatabaseQueue(path: path)
        // The checkpoint's bytes are stored in pieces (part 0; part 1: the routing tables).
        try queue.write { db in try db.execute(sql: "UPDATE checkpoint_piece SET bytes = substr(bytes, 1, 1000) WHERE part = 0 AND n = 0") }
        let later = TestData.path("mrt/routeviews/route-views2.updates.20131201.0000.bz2")
        let second = try CLI.run(["ingest", "--db", path, "--registry", registry, later])
        #expect(second.status == 1 && second.stderr.contains("the stored state cannot be read (checkpoint damaged at byte")
                && second.stderr.contains("--from-scratch"), "\(second.stderr)")
        let scratch = try CLI.run(["ingest", "--db", path, "--registry", registry, "--from-scratch", later])
        #expect(scratch.status == 0, "\(scratch.stderr)")
    }

    /// `ingest`'s flag defaults are the library's rules: a state the command line stored
    /// resumes through the library with its default options (a checkpoint built with other
    /// rules would be refused).
    @Test func commandLineDefaultsAreTheLibraryRules() throws {
        let (dir, path) = try Self.database()
        defer { try? FileManager.default.removeItem(at: dir) }
        let registry = TestData.path("registry")
        let first = try CLI.run(["ingest", "--db", path, "--registry", registry,
                                 TestData.path("mrt/routeviews/route-views2.updates.20130101.part3.mrt")])
        #expect(first.status == 0, "\(first.stderr)")
        let report = try IngestPipeline(store: try SQLiteStore(path: path), options: IngestOptions(registryDirectory: registry))
            .run(files: [TestData.path("mrt/routeviews/route-views2.updates.20131201.0000.bz2")])
        #expect(report.restored != nil && report.ingested.count == 1)
        let other = try CLI.run(["ingest", "--db", path, "--registry", registry, "--outage-duration", "20m",
                                 TestData.path("mrt/ris/ris.rrc06.updates.1427846400.gz")])
        #expect(other.status == 1 && other.stderr.contains("other detection rules"), "\(other.stderr)")
    }
}

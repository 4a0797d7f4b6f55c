import Foundation
import Testing
import TestSupport

/// The commands on PostgreSQL give what they give on SQLite: `ingest` of the real jinx RIB
/// with a written KP outage, resumed over three runs from the state stored in PostgreSQL,
/// stores what one run on SQLite stores, and `events` and `timeline` print the same bytes.
@Suite(.serialized, .enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct StoreParityTests {
    @Test func ingestOnPostgresMatchesSQLiteAndResumes() throws {
        let dir = try IngestCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try IngestCommandTests.scenario(in: dir, minutes: 1...120)
        let second = try IngestCommandTests.scenario(in: dir, minutes: 121...240)
        let registry = IngestCommandTests.registry, rib = IngestCommandTests.rib
        let sqlite = dir.appendingPathComponent("one.sqlite").path
        let one = try CLI.run(["ingest", "-q", "--db", sqlite, "--registry", registry, rib, first, second])
        #expect(one.status == 0, "\(one.stderr)")
        let expected = try IngestCommandTests.contents(sqlite)
        #expect(expected.contains("KP: complete outage 2014-05-31 00:00 to 2014-05-31 01:00 UTC"))

        let (pg, drop) = try TestPostgres.database("parity")
        defer { drop() }
        for file in [rib, first, second] {
            let r = try CLI.run(["ingest", "-q", "--db", pg, "--registry", registry, file])
            #expect(r.status == 0, "\(file): \(r.stderr)")
        }
        #expect(try IngestCommandTests.contents(pg) == expected)
        for command in [["events", "--json"], ["events"], ["timeline", "--country", "KP", "--json"],
                        ["timeline", "--country", "KP", "--asn", "131279", "--csv"], ["alerts", "--json"]] {
            let a = try CLI.run(command + ["--db", sqlite]), b = try CLI.run(command + ["--db", pg])
            #expect(a.status == 0 && b.status == 0 && a.stdout == b.stdout && !a.stdout.isEmpty, "\(command): \(a.stderr) \(b.stderr)")
        }
        // `serve` over each store answers the same bytes.
        let servers = try [sqlite, pg].map { try Served(db: $0) }
        defer { for s in servers { s.stop() } }
        for uri in ["/api/v1/health", "/api/v1/countries", "/api/v1/countries/KP", "/api/v1/countries/US",
                    "/api/v1/countries/KP/timeline?from=2014-05-30T22:00Z&to=2014-05-31T04:00Z", "/api/v1/asns/131279",
                    "/api/v1/asns/131279/timeline?from=2014-05-30T22:00Z&to=2014-05-31T04:00Z", "/api/v1/events?limit=1",
                    "/api/v1/countries/KP/chart.svg?from=2014-05-30T22:00Z&to=2014-05-31T04:00Z", "/countries/KP", "/api/v1/countries/ZZ"] {
            let a = try servers[0].get(uri), b = try servers[1].get(uri)
            #expect(a.status == b.status && a.body == b.body && !a.body.isEmpty, "\(uri): \(a.status) \(b.status)")
        }
    }

    /// `blackout serve --db DB` on a free port, until `stop()`.
    final class Served {
        let process = Process()
        let port: Int

        init(db: String) throws {
            port = try TestPostgres.freePort()
            process.executableURL = CLI.executable
            process.arguments = ["serve", "--db", db, "--port", String(port)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline {
                if let r = try? get("/api/v1/health"), r.status == 200 { return }
                usleep(100_000)
            }
            throw TestPostgres.Failure("blackout serve --db \(db) did not answer within 60 s")
        }

        /// GET with curl: the status and the body.
        func get(_ uri: String) throws -> (status: Int, body: String) {
            let r = try TestPostgres.run("/usr/bin/curl", ["-s", "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(uri)"])
            guard r.status == 0, let cut = r.stdout.lastIndex(of: "\n") else { throw TestPostgres.Failure("curl \(uri): \(r.status)") }
            return (Int(r.stdout[r.stdout.index(after: cut)...]) ?? 0, String(r.stdout[..<cut]))
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    /// kill -9 inside the commit of an ingest into PostgreSQL stores nothing of it; the same
    /// ingest again gives the clean result.
    @Test func killedInsideTheCommitStoresNothing() throws {
        let dir = try IngestCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let updates = try IngestCommandTests.scenario(in: dir)
        let (pg, drop) = try TestPostgres.database("kill")
        defer { drop() }
        let ready = dir.appendingPathComponent("ready").path
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = ["ingest", "-q", "--db", pg, "--registry", IngestCommandTests.registry, IngestCommandTests.rib, updates]
        p.environment = ProcessInfo.processInfo.environment.merging(["BLACKOUT_FAILPOINT": "hold-commit", "BLACKOUT_FAILPOINT_READY": ready]) { $1 }
        try p.run()
        WorkQueueTests.waitForFailpoint(ready, p)
        #expect(FileManager.default.fileExists(atPath: ready), "the ingest never reached its commit")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let nothing = try CLI.run(["events", "--json", "--db", pg])
        #expect(nothing.status == 0 && nothing.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(nothing.stdout)")
        #expect(try IngestCommandTests.contents(pg).hasPrefix("\ncheckpoint at 0\n"))
        let again = try CLI.run(["ingest", "-q", "--db", pg, "--registry", IngestCommandTests.registry, IngestCommandTests.rib, updates])
        #expect(again.status == 0, "\(again.stderr)")
        let sqlite = dir.appendingPathComponent("clean.sqlite").path
        let clean = try CLI.run(["ingest", "-q", "--db", sqlite, "--registry", IngestCommandTests.registry, IngestCommandTests.rib, updates])
        #expect(clean.status == 0)
        #expect(try IngestCommandTests.contents(pg) == IngestCommandTests.contents(sqlite))
    }
}

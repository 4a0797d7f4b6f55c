import Foundation
import GRDB
import MRT
import MRTArchive
import Outages
import Pipeline
import Registry
import Store
import Testing
import TestSupport

/// `blackout ingest`, `events` and `timeline` on the real jinx RIB with a written KP outage.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct IngestCommandTests {
    static let rib = TestData.path("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2")
    static let registry = TestData.path("registry")
    static let t0: UInt32 = 1_401_487_200

    /// Updates from the jinx full-feed peer (AS30844 at 196.223.14.55, as `blackout dump --peer-asn 30844`
    /// shows): KP's four prefixes withdrawn from 00:00:40 to 01:00:40 UTC on 2014-05-31, and one
    /// unrelated prefix announced every minute so the stream has no gap.
    static func scenario(in dir: URL, minutes: ClosedRange<UInt32> = 1...240) throws -> String {
        let peer = IPAddress("196.223.14.55")!
        let peering = BGP4MPPeering(peerASN: 30844, localASN: 6447, afi: AFI.ipv4, peerAddress: peer,
                                    localAddress: IPAddress("128.223.51.15")!)
        let kp = (176...179).map { Prefix("175.45.\($0).0/24")! }
        let kpPath = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [30844, 3356, 1239, 4837, 131279]), nextHop: peer)
        let other = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [30844, 3356, 15169]), nextHop: peer)
        let w = MRTWriter()
        for minute in minutes {
            let t = t0 + minute * 60
            if t == t0 + 2 * 3600 + 60 { w.writeUpdate(timestamp: t - 20, peering: peering, withdrawn: kp) }
            if t == t0 + 3 * 3600 + 60 { w.writeUpdate(timestamp: t - 20, peering: peering, announced: kp, attributes: kpPath) }
            w.writeUpdate(timestamp: t, peering: peering, announced: [Prefix("8.8.8.0/24")!], attributes: other)
        }
        let path = dir.appendingPathComponent("routeviews.route-views.jinx.updates.\(t0 + minutes.lowerBound * 60).mrt").path
        let out = try OutputFile(path: path, compression: .none)
        try out.write(w.sink)
        try out.close()
        return path
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Everything a store holds, as text, to compare two stores (a SQLite file or a PostgreSQL URL).
    static func contents(_ db: String) throws -> String {
        let store = try StoreLocation.open(db)
        var text = try store.files().map { "\($0.contentHash) \($0.collector) \($0.elements) \($0.damagedRecords)" }.joined(separator: "\n")
        text += try store.events(EventQuery()).map { "\($0)" }.joined(separator: "\n")
        text += "\ncheckpoint at \(try store.checkpoint()?.time ?? 0)\n"
        for cc in ["KP", "US", "SY", "BR"] {
            for family in Family.allCases {
                text += try store.bins(SeriesID(.country(CountryCode(cc)!), family), from: nil, to: nil).map { "\(cc) \($0)" }.joined(separator: "\n")
            }
        }
        return text
    }

    @Test func ingestFindsTheOutageIsIdempotentAndSurvivesKill9() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let updates = try Self.scenario(in: dir)
        let clean = dir.appendingPathComponent("clean.sqlite").path
        let args = ["--registry", Self.registry, updates, Self.rib]  // any order

        let first = try CLI.run(["ingest", "--db", clean] + args)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("KP: complete outage 2014-05-31 00:00 to 2014-05-31 01:00 UTC (1h0m): 4 of 4 prefixes of AS131279 withdrawn; sole provider AS4837"))
        #expect(first.stderr.contains("2 files"))

        // events --json: the contract's fields.
        let events = try CLI.run(["events", "--db", clean, "--country", "KP", "--json"])
        #expect(events.status == 0)
        let array = try #require(try JSONSerialization.jsonObject(with: Data(events.stdout.utf8)) as? [[String: Any]])
        #expect(array.count == 2)  // the country's and AS131279's
        let e = try #require(array.first { $0["asn"] is NSNull })
        #expect(e["country"] as? String == "KP" && e["asn"] is NSNull && e["kind"] as? String == "outage")
        #expect(e["severity"] as? String == "complete")
        #expect(e["start"] as? String == "2014-05-31T00:00:00Z" && e["end"] as? String == "2014-05-31T01:00:00Z")
        #expect(e["fraction_lost"] as? Double == 1)
        #expect(e["prefixes_lost"] as? [String] == ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"])
        #expect(e["origins_affected"] as? [Int] == [131279] && e["origins_unaffected"] as? [Int] == [])
        #expect(e["providers_lost"] as? [Int] == [4837])
        #expect((e["summary"] as? String)?.hasPrefix("KP: complete outage") == true)
        let star = try CLI.run(["events", "--db", clean, "--asn", "131279", "--json"])
        let byAS = try #require(try JSONSerialization.jsonObject(with: Data(star.stdout.utf8)) as? [[String: Any]])
        #expect(byAS.count == 1 && byAS[0]["asn"] as? Int == 131279 && byAS[0]["start"] as? String == "2014-05-31T00:00:00Z")
        #expect(byAS[0]["summary"] as? String == "AS131279 (KP): complete outage 2014-05-31 00:00 to 2014-05-31 01:00 UTC (1h0m): 4 of 4 prefixes withdrawn; sole provider AS4837")
        let asCSV = try CLI.run(["timeline", "--db", clean, "--country", "KP", "--asn", "131279", "--csv"]).stdout
        #expect(asCSV.hasPrefix("time,asn,visible_prefixes,slash24s,announcements,withdrawals,path_changes,flaps,full_feed_peers,"))
        #expect(asCSV.contains("\n2014-05-30T23:55:00Z,131279,4,4.0,0,0,0,0,1,"), "\(asCSV)")
        #expect(asCSV.contains("\n2014-05-31T00:00:00Z,131279,0,0.0,0,4,0,0,1,"), "\(asCSV)")
        #expect(asCSV.contains("\n2014-05-31T01:00:00Z,131279,4,4.0,4,0,0,0,1,"))
        let none = try CLI.run(["events", "--db", clean, "--country", "KP", "--kind", "outage", "--from", "2014-05-31T02:00"])
        #expect(none.status == 0 && none.stdout.isEmpty)

        // timeline: 4 prefixes, none during the outage hour.
        let csv = try CLI.run(["timeline", "--db", clean, "--country", "KP", "--csv", "--bin", "1h"])
        let rows = csv.stdout.split(separator: "\n").map(String.init)
        #expect(rows.first == "time,visible_prefixes,slash24s,announcements,withdrawals,path_changes,flaps,full_feed_peers,"
                + "unstable_prefixes,peers,collectors,visible_prefixes_v6,slash48s_v6,announcements_v6,withdrawals_v6,"
                + "path_changes_v6,flaps_v6,unstable_prefixes_v6")
        #expect(rows.contains { $0.hasPrefix("2014-05-30T23:00:00Z,4,4.0,") })
        #expect(rows.contains { $0.hasPrefix("2014-05-31T00:00:00Z,0,0.0,0,4,") })
        let png = dir.appendingPathComponent("kp.png").path
        #expect(try CLI.run(["timeline", "--db", clean, "--country", "KP", "--png", png]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: png)).prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))

        // Ingesting the same files again changes nothing.
        let before = try Self.contents(clean)
        let again = try CLI.run(["ingest", "--db", clean] + args)
        #expect(again.status == 0 && again.stderr.contains("already"))
        #expect(try Self.contents(clean) == before)

        // kill -9 in the middle of an ingest stores nothing; running it again gives the clean run's database.
        let killed = dir.appendingPathComponent("killed.sqlite").path
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = ["ingest", "-q", "--db", killed] + args
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        Thread.sleep(forTimeInterval: 3)
        #expect(p.isRunning, "the ingest should still be running after 3 s (it takes ~15 s in a debug build)")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(try SQLiteStore(path: killed).files().isEmpty)
        let rerun = try CLI.run(["ingest", "--db", killed] + args)
        #expect(rerun.status == 0)
        #expect(try Self.contents(killed) == before)
    }

    /// An ingest continues where the last one stopped: the RIB in one run, the first two
    /// hours of updates in the next, the last two in a third give the database one run of
    /// all three gives. A file older than the stored state is skipped with a warning. The
    /// third run killed at any moment (restoring the state, replaying, inside the commit)
    /// loses nothing already stored, and running it again gives the clean result.
    @Test func resumesAndSurvivesKill9AnywhereInIt() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Self.scenario(in: dir, minutes: 1...120), second = try Self.scenario(in: dir, minutes: 121...240)
        let clean = dir.appendingPathComponent("clean.sqlite").path
        let all = try CLI.run(["ingest", "--db", clean, "--registry", Self.registry, Self.rib, first, second])
        #expect(all.status == 0, "\(all.stderr)")
        let expected = try Self.contents(clean)
        #expect(expected.contains("KP: complete outage 2014-05-31 00:00 to 2014-05-31 01:00 UTC"))

        let base = dir.appendingPathComponent("base.sqlite").path
        for file in [Self.rib, first] {
            let r = try CLI.run(["ingest", "--db", base, "--registry", Self.registry, file])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let stored = try Self.contents(base)
        // An older file: skipped, named, nothing changes.
        let older = TestData.path("mrt/ris/ris.rrc06.updates.1401488100.gz")
        let skip = try CLI.run(["ingest", "--db", base, "--registry", Self.registry, older])
        #expect(skip.status == 0 && skip.stderr.contains("\(older): older than the stored state"), "\(skip.stderr)")
        #expect(try Self.contents(base) == stored)

        enum Kill { case after(Double), inCommit }
        for point in [Kill.after(1), .after(6), .inCommit] {
            let db = dir.appendingPathComponent("killed.sqlite").path
            try? FileManager.default.removeItem(atPath: db)
            try FileManager.default.copyItem(atPath: base, toPath: db)
            let p = Process()
            p.executableURL = CLI.executable
            p.arguments = ["ingest", "-q", "--db", db, "--registry", Self.registry, second]
            var env = ProcessInfo.processInfo.environment
            let ready = dir.appendingPathComponent("in-commit").path
            try? FileManager.default.removeItem(atPath: ready)
            if case .inCommit = point {
                env["BLACKOUT_FAILPOINT"] = "hold-commit"
                env["BLACKOUT_FAILPOINT_READY"] = ready
            }
            p.environment = env
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            p.standardError = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            switch point {
            case .after(let seconds):
                Thread.sleep(forTimeInterval: seconds)
            case .inCommit:
                // The store says when it holds its transaction open (bins and events written, not
                // the checkpoint); the store is in WAL mode: the write-ahead log is beside the database then.
                var waited = 0.0
                while !FileManager.default.fileExists(atPath: ready), waited < 100, p.isRunning {
                    Thread.sleep(forTimeInterval: 0.1)
                    waited += 0.1
                }
                #expect(FileManager.default.fileExists(atPath: ready), "the ingest never reached its commit")
                #expect(FileManager.default.fileExists(atPath: db + "-wal"))
            }
            #expect(p.isRunning, "\(point): the ingest ended before it was killed")
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            #expect(try Self.contents(db) == stored, "\(point): the stored state changed")
            let again = try CLI.run(["ingest", "--db", db, "--registry", Self.registry, second])
            #expect(again.status == 0 && again.stderr.contains("state restored"), "\(again.stderr)")
            #expect(try Self.contents(db) == expected, "\(point): the rerun differs from one clean run")
        }

        // --from-scratch forgets it all and replays what it is given.
        let scratch = try CLI.run(["ingest", "--db", base, "--from-scratch", "--registry", Self.registry, Self.rib, first, second])
        #expect(scratch.status == 0 && !scratch.stderr.contains("restored"), "\(scratch.stderr)")
        #expect(try Self.contents(base) == expected)
    }

    @Test func damagedFileIsReportedAndTheRestStored() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A real update file cut in the middle of its gzip stream, then a whole one.
        let source = TestData.path("mrt/ris/ris.rrc06.updates.1427846400.gz")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
        let cut = dir.appendingPathComponent("ris.rrc06.updates.cut.gz").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        let whole = TestData.path("mrt/routeviews/routeviews.route-views.jinx.updates.1401493500.bz2")
        let empty = dir.appendingPathComponent("empty.mrt").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        let db = dir.appendingPathComponent("d.sqlite").path
        let r = try CLI.run(["ingest", "--db", db, "--registry", Self.registry, cut, empty, whole])
        #expect(r.status == 3)
        #expect(r.stderr.contains(cut) && r.stderr.contains("gzip"), "\(r.stderr)")
        #expect(r.stderr.contains("\(empty): no MRT records"))
        let files = try SQLiteStore(path: db).files()
        // The cut file and the whole one are recorded, the cut one with its damage counted (ingesting
        // it again changes nothing); the empty one is not.
        #expect(files.map(\.path).sorted() == [cut, whole].sorted())
        #expect(files.first { $0.path == cut }!.damagedRecords >= 1 && files.first { $0.path == whole }!.damagedRecords == 0)
        #expect(files.first { $0.path == cut }!.elements > 0)
        #expect(try !SQLiteStore(path: db).bins(SeriesID(.country(CountryCode("US")!)), from: nil, to: nil).isEmpty)
    }

    /// A database that cannot grow (the file size limit stands in for a full disk): a clear
    /// error, nothing half-written, and the same ingest succeeds once there is room.
    @Test func fullDiskStoresNothing() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("full.sqlite").path
        let inputs = [TestData.path("mrt/ris/ris.rrc06.updates.1401488100.gz"),
                      TestData.path("mrt/routeviews/routeviews.route-views.jinx.updates.1401493500.bz2")]
        let command = "trap '' XFSZ; ulimit -f 64; exec '\(CLI.executable.path)' ingest -q --db '\(db)' --registry '\(Self.registry)' "
            + inputs.map { "'\($0)'" }.joined(separator: " ")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", command]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 1 && message.contains(db) && message.contains("disk full"), "\(message)")
        #expect(try SQLiteStore(path: db).files().isEmpty)
        #expect(try SQLiteStore(path: db).binTimes(from: nil, to: nil).isEmpty)
        let again = try CLI.run(["ingest", "-q", "--db", db, "--registry", Self.registry] + inputs)
        let stored = try SQLiteStore(path: db).files().count
        #expect(again.status == 0 && stored == 2)
    }

    @Test func newerAndLockedDatabasesAreClearErrors() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let newer = dir.appendingPathComponent("newer.sqlite").path
        _ = try SQLiteStore(path: newer)
        try DatabaseQueue(path: newer).write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99: from the future')") }
        let r = try CLI.run(["events", "--db", newer])
        #expect(r.status == 1 && r.stderr.contains("newer version of blackout"))

        let locked = dir.appendingPathComponent("locked.sqlite").path
        _ = try SQLiteStore(path: locked)
        let holder = try DatabaseQueue(path: locked)
        try holder.inDatabase { db in
            try db.execute(sql: "BEGIN EXCLUSIVE")
            // The store is in WAL mode: a writer's transaction does not block readers (what
            // `blackout serve` relies on); a second writer waits, then gets the "locked" error
            // (Tests/ServerTests/APIErrorTests.swift, lockedStoreIs503ForWritesAndReadsGoOn).
            let l = try CLI.run(["events", "--db", locked])
            #expect(l.status == 0, "\(l.stderr)")
            try db.execute(sql: "ROLLBACK")
        }
        let notDB = dir.appendingPathComponent("text.sqlite").path
        try "not a database, just text that is long enough to be read as a header".write(toFile: notDB, atomically: true, encoding: .utf8)
        let n = try CLI.run(["events", "--db", notDB])
        #expect(n.status == 1 && n.stderr.contains(notDB))
    }
}

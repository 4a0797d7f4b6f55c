import Foundation
import ScenarioSupport
import Testing
import TestSupport

/// `blackout watch` end to end: archives from a local server laid out as RouteViews' and
/// RIS's (`KP2014Scenario`: North Korea's outage of 22 December 2014 at its published times),
/// ingested into a new database, reported as the census and events commands report.
@Suite(.enabled(if: CLI.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct WatchCommandTests {
    static let registry = CLI.data("registry")

    static func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("blackout-watch-\(name)-\(UUID().uuidString)").path
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text.prefix(300))")
    }

    static func watch(_ server: ArchiveServer, db: String, dest: String, _ args: [String]) throws -> CLI.Result {
        try CLI.run(["watch", "KP", "--db", db, "--dest", dest, "--routeviews-url", server.url, "--ris-url", server.url, "-q"] + args)
    }

    /// Both projects' collectors in one watch: the census (4 networks, one provider, AS4837,
    /// 100% dependence) and the events: the instability from the day before and the
    /// complete outage from 16:15 to the bin of 01:46, with their evidence.
    /// Into either store.
    @Test(arguments: StoreKind.allCases)
    func reportsTheOutageWithCensusAndEvidence(store: StoreKind) throws {
        let server = try ArchiveServer(root: try KP2014Archives.shared.get())
        defer { server.stop() }
        let (db, remove) = try store.location("watch")
        let dest = Self.temp("dest")
        defer { try? FileManager.default.removeItem(atPath: dest); remove() }
        let r = try Self.watch(server, db: db, dest: dest, ["--collector", "route-views2", "--collector", "rrc00", "--from", "2014-12-21T00:00Z",
                                                            "--to", "2014-12-23T12:00Z", "--registry", Self.registry, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try Self.json(r.stdout)
        let census = try #require(object["census"] as? [[String: Any]])
        #expect(census.count == 1)
        let kp = try #require(census.first)
        #expect(kp["country"] as? String == "KP" && kp["prefixes"] as? Int == 4, "\(kp)")
        let providers = try #require(kp["providers"] as? [[String: Any]])
        #expect(providers.map { $0["asn"] as? Int } == [4837] && providers.first?["dependence"] as? Double == 1.0, "\(providers)")
        #expect((kp["summary"] as? String)?.contains("1 outage (complete from 2014-12-22 16:15 UTC, ended 2014-12-23 01:45 UTC)") == true, "\(kp)")
        let events = try #require(object["events"] as? [[String: Any]])
        let outage = try #require(events.first { $0["kind"] as? String == "outage" && $0["asn"] is NSNull })
        #expect(outage["severity"] as? String == "complete" && outage["start"] as? String == "2014-12-22T16:15:00Z")
        #expect(outage["end"] as? String == "2014-12-23T01:45:00Z", "announced again at 01:46: the end is that bin")
        #expect(Set(outage["collectors"] as? [String] ?? []) == ["route-views2", "rrc00"], "\(outage)")
        #expect((outage["prefixes_lost"] as? [String])?.count == 4 && outage["providers_lost"] as? [Int] == [4837], "\(outage)")
        let unstable = try #require(events.first { $0["kind"] as? String == "instability" && $0["asn"] is NSNull })
        #expect(unstable["start"] as? String == "2014-12-21T16:15:00Z", "\(unstable)")
        #expect(Set(events.compactMap { $0["asn"] as? Int }) == [131279])
    }

    /// Two watches of consecutive periods give the events one watch of the whole gives: the
    /// second resumes the state the first stored. A watch whose downloads fail stores nothing
    /// and loses nothing.
    @Test func resumesTheStoredStateAndLosesNothingOnFailure() throws {
        let server = try ArchiveServer(root: try KP2014Archives.shared.get())
        defer { server.stop() }
        let dest = Self.temp("dest")
        let whole = Self.temp("whole") + ".sqlite", split = Self.temp("split") + ".sqlite"
        defer { for p in [dest, whole, split] { try? FileManager.default.removeItem(atPath: p) } }
        let base = ["--collector", "route-views2", "--registry", Self.registry, "--json"]
        let one = try Self.watch(server, db: whole, dest: dest, base + ["--from", "2014-12-21T00:00Z", "--to", "2014-12-23T12:00Z"])
        #expect(one.status == 0, "\(one.stderr)")
        let first = try Self.watch(server, db: split, dest: dest, base + ["--from", "2014-12-21T00:00Z", "--to", "2014-12-22T18:00Z"])
        #expect(first.status == 0, "\(first.stderr)")
        let open = try #require(try Self.json(first.stdout)["events"] as? [[String: Any]])
        #expect(open.contains { $0["kind"] as? String == "outage" && $0["ongoing"] as? Bool == true }, "\(open)")

        let dead = try CLI.run(["watch", "KP", "--db", split, "--dest", Self.temp("dead"), "--routeviews-url", "http://127.0.0.1:9",
                                "--collector", "route-views2", "--registry", Self.registry, "--from", "2014-12-22T18:00Z",
                                "--to", "2014-12-23T12:00Z", "--attempts", "1", "--timeout", "2", "-q"])
        #expect(dead.status == 1 && dead.stderr.contains("http://127.0.0.1:9/bgpdata/2014.12/"), "\(dead.stderr)")

        let second = try Self.watch(server, db: split, dest: dest, base + ["--from", "2014-12-22T18:00Z", "--to", "2014-12-23T12:00Z"])
        #expect(second.status == 0, "\(second.stderr)")
        let a = try CLI.run(["events", "--db", whole, "--json"]), b = try CLI.run(["events", "--db", split, "--json"])
        #expect(a.status == 0 && !a.stdout.isEmpty && a.stdout == b.stdout)
        #expect(a.stdout.contains("\"start\":\"2014-12-22T16:15:00Z\",\"end\":\"2014-12-23T01:45:00Z\""))
    }

    /// Without --registry, the RIRs' files of the data's date are fetched (from a mirror laid
    /// out as <base>/<rir>/<year>/, compressed as the RIRs keep them), then used; the mirror
    /// has those of the day before only, as when a RIR skipped a day.
    @Test func fetchesTheRegistryOfTheDataDate() throws {
        let mirror = Self.temp("mirror"), data = Self.temp("data"), db = Self.temp("db") + ".sqlite", dest = Self.temp("dest")
        defer { for p in [mirror, data, db, dest] { try? FileManager.default.removeItem(atPath: p) } }
        try Self.writeRegistryMirror(mirror, day: "20141221")
        try FileManager.default.createSymbolicLink(atPath: "\(mirror)/archives", withDestinationPath: try KP2014Archives.shared.get())
        let server = try ArchiveServer(root: mirror)
        defer { server.stop() }
        let r = try CLI.run(["watch", "KP", "--db", db, "--dest", dest, "--routeviews-url", "\(server.url)/archives", "-q",
                             "--registry-url", "\(server.url)/registry", "--collector", "route-views2",
                             "--from", "2014-12-22T12:00Z", "--to", "2014-12-23T00:00Z"],
                            environment: ["XDG_DATA_HOME": data])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("KP: complete outage since 2014-12-22 16:15 UTC (ongoing"), "\(r.stdout)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: "\(data)/blackout/registry").sorted()
        #expect(kept == ["delegated-afrinic-20141221", "delegated-apnic-20141221.gz", "delegated-arin-extended-20141221",
                         "delegated-lacnic-20141221", "delegated-ripencc-20141221.bz2"], "\(kept)")
        #expect(server.requests.contains { $0.hasPrefix("GET /registry/ripencc/2014/delegated-ripencc-20141221.bz2 - 200") })
    }

    /// `registry update --date`: the five files of the day, named as the RIRs name them; again:
    /// nothing downloaded; a RIR without the file: its URL in the error, exit 1, the rest kept.
    @Test func registryUpdateOfADate() throws {
        let mirror = Self.temp("mirror"), dest = Self.temp("registry")
        defer { for p in [mirror, dest] { try? FileManager.default.removeItem(atPath: p) } }
        try Self.writeRegistryMirror(mirror, day: "20141221")
        let server = try ArchiveServer(root: mirror)
        defer { server.stop() }
        let args = ["registry", "update", "--date", "2014-12-21", "--dest", dest, "--registry-url", "\(server.url)/registry"]
        let r = try CLI.run(args)
        #expect(r.status == 0 && r.stdout.contains("5 of 5 files updated"), "\(r.stdout) \(r.stderr)")
        #expect(FileManager.default.contentsEqual(atPath: "\(dest)/delegated-lacnic-20141221", andPath: CLI.data("registry/delegated-lacnic-latest.20140627")))
        let count = server.requests.count
        let again = try CLI.run(args)
        #expect(again.status == 0 && again.stdout.contains("already here"))
        // Only the places before the one that has each file are asked again (their 404s); no file is transferred.
        #expect(server.requests.dropFirst(count).allSatisfy { $0.contains(" 404 ") }, "\(server.requests.dropFirst(count))")
        let other = try CLI.run(["registry", "update", "--date", "2014-12-20", "--dest", dest, "--registry-url", "\(server.url)/registry"])
        #expect(other.status == 1 && other.stderr.contains("\(server.url)/registry/afrinic"), "\(other.stderr)")
        #expect(other.stderr.contains("no statistics file of 20141220 or the 7 days before"), "\(other.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(dest)/delegated-ripencc-20141221.bz2"))
    }

    /// --follow: the archives replayed on a clock that starts at 18:00 on the 22nd and runs an
    /// hour a second; the outage is printed open at the first look and closed once the 01:45
    /// files are published.
    @Test func followPrintsEventsAsTheyOpenAndClose() throws {
        let server = try ArchiveServer(root: try KP2014Archives.shared.get())
        defer { server.stop() }
        let db = Self.temp("db") + ".sqlite", dest = Self.temp("dest")
        defer { for p in [db, dest] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try Self.watch(server, db: db, dest: dest, ["--collector", "route-views2", "--registry", Self.registry,
                                                            "--from", "2014-12-22T06:00Z", "--follow", "--poll", "0.5", "--polls", "24",
                                                            "--clock-start", "2014-12-22T18:00Z", "--clock-speed", "3600"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let opened = lines.firstIndex { $0.hasPrefix("opened: KP: complete outage since 2014-12-22 16:15 UTC (ongoing") }
        let closed = lines.firstIndex { $0.hasPrefix("closed: KP: complete outage 2014-12-22 16:15 to 2014-12-23 01:45 UTC") }
        #expect(opened != nil && closed != nil && opened! < closed!, "\(lines)")
        #expect(lines.filter { $0.hasPrefix("opened: ") || $0.hasPrefix("closed: ") }.count == 4, "KP and AS131279, each once open and once closed")
    }

    /// --follow with both projects and a file that never appears: it holds back every later
    /// file (the replay is in time order) until it is 3 hours behind, then it is passed over
    /// with a warning; the outage still opens and closes to the bin.
    @Test func followPassesOverAFileThatNeverAppears() throws {
        let root = try KP2014Archives.copy()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let gone = "route-views2/bgpdata/2014.12/UPDATES/updates.20141222.2000.bz2"
        try FileManager.default.removeItem(atPath: "\(root)/\(gone)")
        let server = try ArchiveServer(root: root)
        defer { server.stop() }
        let db = Self.temp("db") + ".sqlite", dest = Self.temp("dest")
        defer { for p in [db, dest] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try CLI.run(["watch", "KP", "--db", db, "--dest", dest, "--routeviews-url", server.url, "--ris-url", server.url,
                             "--collector", "route-views2,rrc00", "--registry", Self.registry, "--from", "2014-12-22T06:00Z",
                             "--follow", "--poll", "0.5", "--polls", "30", "--clock-start", "2014-12-22T18:00Z", "--clock-speed", "3600"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("route-views2 updates.20141222.2000.bz2: still missing 3 h after its time; passed over"), "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("closed: KP: complete outage 2014-12-22 16:15 to 2014-12-23 01:45 UTC") }, "\(lines)")
        // Nothing was skipped as older than the state: every file fetched was ingested in order.
        #expect(!r.stderr.contains("older than the stored state"), "\(r.stderr)")
    }

    /// `--archive-dir` laid out as archive.routeviews.org is (route-views2 at `bgpdata/`, a path
    /// that does not name it): the files are still route-views2's.
    @Test func archiveDirectoryInRouteViewsOwnLayout() throws {
        let dir = Self.temp("archive"), db = Self.temp("db") + ".sqlite"
        defer { for p in [dir, db] { try? FileManager.default.removeItem(atPath: p) } }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/bgpdata", withDestinationPath: "\(try KP2014Archives.shared.get())/route-views2/bgpdata")
        let r = try CLI.run(["watch", "KP", "--db", db, "--archive-dir", dir, "--registry", Self.registry, "--collector", "route-views2",
                             "--from", "2014-12-22T12:00Z", "--to", "2014-12-23T03:00Z", "--json", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        let events = try #require(try Self.json(r.stdout)["events"] as? [[String: Any]])
        let outage = try #require(events.first { $0["kind"] as? String == "outage" && $0["asn"] is NSNull })
        #expect(outage["collectors"] as? [String] == ["route-views2"] && outage["end"] as? String == "2014-12-23T01:45:00Z", "\(outage)")
    }

    /// A damaged update file in the archive: reported, its good records kept, the outage still
    /// found to the bin; exit 3, as `ingest` does.
    @Test func damagedArchiveIsReportedWithExit3() throws {
        let root = try KP2014Archives.copy()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let damaged = "\(root)/route-views2/bgpdata/2014.12/UPDATES/updates.20141222.1200.bz2"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
        try FileManager.default.removeItem(atPath: damaged)  // a hard link: the shared copy stays whole
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: damaged))
        let db = Self.temp("db") + ".sqlite"
        defer { try? FileManager.default.removeItem(atPath: db) }
        let r = try CLI.run(["watch", "KP", "--db", db, "--archive-dir", root, "--registry", Self.registry, "--collector", "route-views2",
                             "--from", "2014-12-22T06:00Z", "--to", "2014-12-23T03:00Z"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("updates.20141222.1200.bz2"), "\(r.stderr)")
        #expect(r.stdout.contains("KP: complete outage 2014-12-22 16:15 to 2014-12-23 01:45 UTC"), "\(r.stdout)")
    }

    @Test func badArguments() throws {
        for args in [["KP", "--collector", "rrc00", "--from", "2014-12-22"],
                     ["KP", "--collector", "rrc00", "--from", "2014-12-22", "--to", "2014-12-23", "--follow"],
                     ["KPX", "--collector", "rrc00", "--from", "2014-12-22", "--to", "2014-12-23"],
                     ["KP", "--collector", "nowhere", "--from", "2014-12-22", "--to", "2014-12-23"]] {
            let r = try CLI.run(["watch"] + args)
            #expect(r.status == 64, "\(args): \(r.stderr)")
        }
    }

    /// The RIRs' dated files as their servers keep them: RIPE's bzip2, APNIC's gzip, ARIN's
    /// only as -extended-, the others plain; made from the mid-2014 files in shared/data.
    static func writeRegistryMirror(_ mirror: String, day: String) throws {
        let year = String(day.prefix(4))
        let files: [(rir: String, source: String, name: String, compress: String?)] = [
            ("afrinic", "delegated-afrinic-latest.20140630", "delegated-afrinic-\(day)", nil),
            ("apnic", "delegated-apnic-latest.20140630", "delegated-apnic-\(day)", "gzip"),
            ("arin", "delegated-arin-extended-latest.20140804", "delegated-arin-extended-\(day)", nil),
            ("lacnic", "delegated-lacnic-latest.20140627", "delegated-lacnic-\(day)", nil),
            ("ripencc", "delegated-ripencc-latest.20140630", "delegated-ripencc-\(day)", "bzip2"),
        ]
        for f in files {
            let dir = "\(mirror)/registry/\(f.rir)/\(year)"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: CLI.data("registry/\(f.source)"), toPath: "\(dir)/\(f.name)")
            if let tool = f.compress {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = [tool, "\(dir)/\(f.name)"]
                try p.run()
                p.waitUntilExit()
                #expect(p.terminationStatus == 0)
            }
        }
    }
}

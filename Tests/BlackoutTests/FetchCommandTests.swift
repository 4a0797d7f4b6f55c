import Foundation
import ScenarioSupport
import Testing
import TestSupport

/// `blackout fetch` against a local archive server laid out as archive.routeviews.org and
/// data.ris.ripe.net are, serving the North Korea 2014 archives written with the MRT writer
/// on top of the real jinx table (`KP2014Scenario`).
@Suite(.enabled(if: CLI.sharedDataAvailable, "needs ../shared/data"), .serialized)
struct FetchCommandTests {
    static let rv = "bgpdata/2014.12"
    static let ris = "rrc00/2014.12"

    /// A fresh download directory.
    static func dest() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("blackout-fetch-\(UUID().uuidString)").path
    }

    static func fetch(_ server: ArchiveServer, dest: String, _ args: [String]) throws -> CLI.Result {
        try CLI.run(["fetch", "--dest", dest, "--routeviews-url", server.url, "--ris-url", server.url, "--retry-pause", "0.05"] + args)
    }

    static func lines(_ s: String) -> [String] { s.split(separator: "\n").map(String.init) }

    /// Two days of both projects: the RIB at or before the start and every update file to the
    /// end, byte for byte; the same command again downloads nothing.
    @Test func multiDayRangeOfBothProjectsThenNothingTwice() throws {
        let root = try KP2014Archives.shared.get()
        let server = try ArchiveServer(root: root)
        defer { server.stop() }
        let dest = Self.dest()
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let args = ["--collector", "route-views2,rrc00", "--from", "2014-12-21T01:00Z", "--to", "2014-12-23T00:00Z"]
        let r = try Self.fetch(server, dest: dest, args)
        #expect(r.status == 0, "\(r.stderr)")
        let paths = Self.lines(r.stdout)
        // RouteViews: its 00:00 dump and 2 days of 15-minute files; RIS: its 00:00 bview and 5-minute files.
        #expect(paths.count == 1 + 192 + 1 + 576, "\(paths.count)")
        #expect(paths.first?.hasSuffix("route-views2/bgpdata/2014.12/RIBS/rib.20141221.0000.bz2") == true)
        #expect(Set(paths.filter { $0.contains("/RIBS/") || $0.contains("bview.") }.map { String($0.split(separator: "/").last!) })
            == ["bview.20141221.0000.gz", "rib.20141221.0000.bz2"])
        #expect(paths.contains("\(dest)/route-views2/bgpdata/2014.12/UPDATES/updates.20141222.2345.bz2"))
        #expect(!paths.contains { $0.contains("updates.20141223.0000") })
        #expect(paths.contains("\(dest)/rrc00/2014.12/updates.20141222.2355.gz"))
        // In time order, and every byte as served.
        let times = paths.map { p -> String in let parts = p.split(separator: "/").last!.split(separator: "."); return "\(parts[1]).\(parts[2])" }
        #expect(times == times.sorted())
        for p in paths {
            let rel = p.dropFirst(dest.count + 1)
            #expect(FileManager.default.contentsEqual(atPath: p, andPath: "\(root)/\(rel)"), "\(rel)")
        }
        // route-views2 is asked for at the top of RouteViews' archive, as it has always been published.
        let asked = server.requests
        #expect(asked.contains { $0.hasPrefix("GET /\(Self.rv)/RIBS/rib.20141221.0000.bz2 - 200") })
        #expect(!asked.contains { $0.contains("/route-views2/") })
        #expect(asked.count == paths.count)

        let again = try Self.fetch(server, dest: dest, args)
        #expect(again.status == 0 && Self.lines(again.stdout) == paths)
        #expect(server.requests.count == asked.count, "the second run asked the server again")
        #expect(again.stderr.contains("770 files (0 downloaded"))
    }

    /// A file the archive lacks is reported with its URL; the rest are fetched; exit 0.
    @Test func missingFileIsReportedNotFatal() throws {
        let root = try KP2014Archives.copy()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.removeItem(atPath: "\(root)/route-views2/\(Self.rv)/UPDATES/updates.20141222.1215.bz2")
        let server = try ArchiveServer(root: root)
        defer { server.stop() }
        let dest = Self.dest()
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let r = try Self.fetch(server, dest: dest, ["--collector", "route-views2", "--from", "2014-12-22T12:00Z", "--to", "2014-12-22T13:00Z"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("\(server.url)/\(Self.rv)/UPDATES/updates.20141222.1215.bz2: missing"), "\(r.stderr)")
        let names = Self.lines(r.stdout).map { String($0.split(separator: "/").last!) }
        #expect(names == ["rib.20141222.1200.bz2", "updates.20141222.1200.bz2", "updates.20141222.1230.bz2", "updates.20141222.1245.bz2"])
        #expect(r.stderr.contains("1 missing, 0 failed"))
    }

    /// A server error, then success; a download cut in the middle, resumed from where it
    /// stopped (a Range request) and whole in the end.
    @Test func serverErrorIsRetriedAndCutDownloadResumes() throws {
        let root = try KP2014Archives.shared.get()
        let rib = "\(Self.rv)/RIBS/rib.20141222.1200.bz2", updates = "\(Self.rv)/UPDATES/updates.20141222.1215.bz2"
        let size = try FileManager.default.attributesOfItem(atPath: "\(root)/\(rib)")[.size] as! Int
        let server = try ArchiveServer(root: root, faults: [rib: "cut-once:\(size / 2)", updates: "error-once"])
        defer { server.stop() }
        let dest = Self.dest()
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let r = try Self.fetch(server, dest: dest, ["--collector", "route-views2", "--from", "2014-12-22T12:00Z", "--to", "2014-12-22T12:30Z"])
        #expect(r.status == 0, "\(r.stderr)")
        let asked = server.requests
        let ribRequests = asked.filter { $0.contains(rib) }
        #expect(ribRequests.count == 2 && ribRequests[0].hasSuffix("cut \(size / 2)"), "\(asked)")
        // The second request asks for the rest only.
        #expect(ribRequests.last.map { $0.contains(" bytes=") && $0.contains("- 206 ") } == true, "\(ribRequests)")
        #expect(asked.filter { $0.contains(updates) }.map { $0.split(separator: " ")[3] } == ["503", "200"], "\(asked)")
        for rel in [rib, updates] {
            #expect(FileManager.default.contentsEqual(atPath: "\(dest)/route-views2/\(rel)", andPath: "\(root)/\(rel)"), "\(rel)")
        }
        let left = try FileManager.default.subpathsOfDirectory(atPath: dest).filter { $0.hasSuffix(".part") }
        #expect(left.isEmpty, "\(left)")
    }

    /// A server that never answers: given up on after the timeout and the tries, reported with
    /// its URL, exit 3; no file at its name; the others fetched.
    @Test func silentServerTimesOut() throws {
        let root = try KP2014Archives.shared.get()
        let hang = "\(Self.rv)/UPDATES/updates.20141222.1215.bz2"
        let server = try ArchiveServer(root: root, faults: [hang: "hang"])
        defer { server.stop() }
        let dest = Self.dest()
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let started = Date()
        let r = try Self.fetch(server, dest: dest, ["--collector", "route-views2", "--from", "2014-12-22T12:00Z", "--to", "2014-12-22T12:30Z",
                                                    "--timeout", "1", "--attempts", "2"])
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("\(server.url)/\(hang)") && r.stderr.contains("timeout"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(dest)/route-views2/\(hang)"))
        #expect(Self.lines(r.stdout).count == 2)
        #expect(server.requests.filter { $0.contains(hang) }.count == 2)
    }

    /// The RIB dump at the start is missing: the one before it is taken, and the updates start there.
    @Test func missingRIBAtTheStartLooksFurtherBack() throws {
        let root = try KP2014Archives.copy()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.removeItem(atPath: "\(root)/route-views2/\(Self.rv)/RIBS/rib.20141222.1200.bz2")
        let server = try ArchiveServer(root: root)
        defer { server.stop() }
        let dest = Self.dest()
        defer { try? FileManager.default.removeItem(atPath: dest) }
        let r = try Self.fetch(server, dest: dest, ["--collector", "route-views2", "--from", "2014-12-22T12:30Z", "--to", "2014-12-22T13:00Z"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("RIBS/rib.20141222.1200.bz2: missing"), "\(r.stderr)")
        let names = Self.lines(r.stdout).map { String($0.split(separator: "/").last!) }
        #expect(names.first == "rib.20141222.1000.bz2")
        #expect(names.dropFirst().first == "updates.20141222.1000.bz2" && names.last == "updates.20141222.1245.bz2" && names.count == 1 + 12)
    }

    /// Reading the same layout from disk: nothing downloaded, the paths are the directory's.
    @Test func archiveDirectoryIsReadInPlace() throws {
        let root = try KP2014Archives.shared.get()
        let dest = Self.dest()
        let r = try CLI.run(["fetch", "--archive-dir", root, "--dest", dest, "--collector", "rrc00", "--from", "2014-12-22T16:00Z",
                             "--to", "2014-12-22T16:30Z"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.lines(r.stdout) == ["\(root)/rrc00/2014.12/bview.20141222.1600.gz"]
            + (0..<6).map { "\(root)/rrc00/2014.12/updates.20141222.16\($0 < 2 ? "0" : "")\($0 * 5).gz" })
        #expect(!FileManager.default.fileExists(atPath: dest))
    }

    // MARK: Bad input

    @Test func unknownCollectorAndReversedTimesAreUsageErrors() throws {
        let unknown = try CLI.run(["fetch", "--collector", "route-views99", "--from", "2014-12-22", "--to", "2014-12-23"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("unknown collector 'route-views99'") && unknown.stderr.contains("rrc00"), "\(unknown.stderr)")
        let reversed = try CLI.run(["fetch", "--collector", "rrc00", "--from", "2014-12-23", "--to", "2014-12-22"])
        #expect(reversed.status == 64 && reversed.stderr.contains("is after --to"), "\(reversed.stderr)")
        let typeTypo = try CLI.run(["fetch", "--collector", "rrc00", "--from", "2014-12-22", "--to", "2014-12-23", "--type", "rib"])
        #expect(typeTypo.status == 64)
    }

    /// A collector that did not exist then; a range the archive has nothing for.
    @Test func collectorBeforeItsTimeAndEmptyRangeAreClearErrors() throws {
        let late = try CLI.run(["fetch", "--collector", "rrc26", "--from", "2014-12-22", "--to", "2014-12-23", "--dest", Self.dest()])
        #expect(late.status == 1 && late.stderr.contains("rrc26 has no archive for that time (it covers 2020-02 to now)"), "\(late.stderr)")

        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let server = try ArchiveServer(root: empty)
        defer { server.stop() }
        let noRIB = try Self.fetch(server, dest: Self.dest(), ["--collector", "route-views2", "--from", "2014-12-22T12:00Z", "--to", "2014-12-22T13:00Z", "--quiet"])
        #expect(noRIB.status == 1 && noRIB.stderr.contains("route-views2: no RIB dump at or before 2014-12-22 12:00 UTC"), "\(noRIB.stderr)")
        let none = try Self.fetch(server, dest: Self.dest(), ["--collector", "route-views2", "--from", "2014-12-22T12:00Z", "--to", "2014-12-22T13:00Z",
                                                              "--type", "updates", "--quiet"])
        #expect(none.status == 1 && none.stderr.contains("no archive files found"), "\(none.stderr)")
        let gone = try CLI.run(["fetch", "--collector", "rrc00", "--from", "2014-12-22", "--to", "2014-12-23", "--archive-dir", "\(empty)/gone"])
        #expect(gone.status == 1 && gone.stderr.contains("\(empty)/gone: no such directory"), "\(gone.stderr)")
    }

    /// An HTML error page where an archive should be, and a file that is not MRT: each reported
    /// with its URL, nothing kept under the file's name, exit 3; files already there stay.
    @Test func htmlPageAndNonMRTFileAreRefused() throws {
        let root = try KP2014Archives.copy()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let html = "\(Self.rv)/UPDATES/updates.20141222.1215.bz2", text = "\(Self.rv)/UPDATES/updates.20141222.1230.bz2"
        let dest = Self.dest()
        defer { try? FileManager.default.removeItem(atPath: dest) }
        // A first fetch stores the RIB; the later failures must leave it.
        let clean = try ArchiveServer(root: root)
        _ = try Self.fetch(clean, dest: dest, ["--collector", "route-views2", "--from", "2014-12-22T12:00Z", "--to", "2014-12-22T12:10Z"])
        clean.stop()
        try FileManager.default.removeItem(atPath: "\(root)/route-views2/\(text)")
        try Data("this is not an archive\n".utf8).write(to: URL(fileURLWithPath: "\(root)/route-views2/\(text)"))
        let server = try ArchiveServer(root: root, faults: [html: "html"])
        defer { server.stop() }
        let r = try Self.fetch(server, dest: dest, ["--collector", "route-views2", "--from", "2014-12-22T12:00Z", "--to", "2014-12-22T12:45Z"])
        #expect(r.status == 3, "\(r.stderr)")
        #expect(r.stderr.contains("\(server.url)/\(html): the server sent a web page, not the file (\"Service Unavailable\")"), "\(r.stderr)")
        #expect(r.stderr.contains("\(server.url)/\(text): not an MRT archive"), "\(r.stderr)")
        for rel in [html, text] {
            #expect(!FileManager.default.fileExists(atPath: "\(dest)/route-views2/\(rel)"))
            #expect(!FileManager.default.fileExists(atPath: "\(dest)/route-views2/\(rel).part"))
        }
        #expect(FileManager.default.contentsEqual(atPath: "\(dest)/route-views2/\(Self.rv)/RIBS/rib.20141222.1200.bz2",
                                                  andPath: "\(root)/\(Self.rv)/RIBS/rib.20141222.1200.bz2"))
        // Not asked again and again: a page instead of a file is final.
        #expect(server.requests.filter { $0.contains(html) }.count == 1)
    }
}

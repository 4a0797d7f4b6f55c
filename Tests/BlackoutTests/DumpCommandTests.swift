import Foundation
import TestSupport
import Testing

/// `blackout dump` as users run it: the built executable, its output, errors and exit codes.
@Suite(.enabled(if: CLI.sharedDataAvailable, "../shared/data is not beside the checkout"))
struct DumpCommandTests {
    static let rib = CLI.data("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2")

    @Test func countsTheFullRIB() throws {
        let r = try CLI.run(["dump", "--count", Self.rib])
        #expect(r.status == 0)
        #expect(r.stdout == "503590\n")
    }

    /// North Korea's four /24s seen by AS30844, against a plain reading of bgpdump's output.
    @Test(.enabled(if: CLI.bgpdumpAvailable)) func filtersMatchBGPDump() throws {
        let r = try CLI.run(["dump", "--peer-asn", "30844", "--origin-asn", "131279", Self.rib])
        #expect(r.status == 0)
        let ours = r.stdout.split(separator: "\n")
        let reference = try CLI.bgpdump(Self.rib).split(separator: "\n").filter {
            let f = $0.split(separator: "|", omittingEmptySubsequences: false)
            return f[4] == "30844" && f[6].split(separator: " ").last == "131279"
        }
        #expect(ours == reference)
        #expect(ours.map { $0.split(separator: "|")[5] } == ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"])
        let more = try CLI.run(["dump", "--count", "--prefix", "175.45.176.0/22", "--prefix-match", "more", Self.rib])
        #expect(more.stdout == "\(try CLI.bgpdump(Self.rib).split(separator: "\n").filter { $0.contains("|175.45.17") && ["6", "7", "8", "9"].contains($0.split(separator: "|")[5].dropFirst(9).prefix(1)) }.count)\n")
    }

    @Test(.enabled(if: CLI.bgpdumpAvailable)) func timeWindowAndTypes() throws {
        let file = CLI.data("mrt/routeviews/route-views2.updates.20131201.0000.bz2")
        let r = try CLI.run(["dump", "--type", "W", "--from", "2013-12-01T00:05:00Z", "--to", "1385856599", file])
        #expect(r.status == 0)
        let reference = try CLI.bgpdump(file).split(separator: "\n").filter {
            let f = $0.split(separator: "|")
            return f[2] == "W" && Int(f[1])! >= 1_385_856_300 && Int(f[1])! <= 1_385_856_599
        }
        #expect(r.stdout.split(separator: "\n") == reference)
        #expect(!reference.isEmpty)
    }

    @Test func jsonAndPSV() throws {
        let file = CLI.data("mrt/ris/ris.rrc06.updates.1427846400.gz")
        let json = try CLI.run(["dump", "--format", "json", file])
        #expect(json.status == 0)
        let rows = json.stdout.split(separator: "\n")
        #expect(rows.count == 1561)
        for row in rows {
            let o = try #require(try JSONSerialization.jsonObject(with: Data(row.utf8)) as? [String: Any])
            #expect(o["timestamp"] is NSNumber && o["type"] is String && o["peer_ip"] is String && o["peer_asn"] is NSNumber)
        }
        let psv = try CLI.run(["dump", "--format", "psv", file])
        #expect(psv.stdout.hasPrefix("type|timestamp|peer_ip|peer_asn|prefix|as_path|origin_asns|origin|next_hop|local_pref|med|communities|atomic|aggr_asn|aggr_ip|only_to_customer\n"))
        #expect(psv.stdout.split(separator: "\n").count == 1562)
    }

    @Test func standardInput() throws {
        let file = CLI.data("mrt/ris/ris.rrc06.updates.1401488100.gz")
        let a = try CLI.run(["dump", file])
        let b = try CLI.run(["dump", "-"], stdin: file)
        #expect(a.status == 0 && b.status == 0)
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.split(separator: "\n").count == 3833)
    }

    @Test func statsGoToStandardError() throws {
        let r = try CLI.run(["dump", "--count", "--stats", CLI.data("mrt/ripe-bgpdump/test_data/updates.20070211.0141.gz")])
        #expect(r.status == 0)
        #expect(r.stdout == "53657\n")
        #expect(r.stderr.contains("records: "))
        #expect(r.stderr.contains("BGP4MP/MESSAGE: "))
        #expect(r.stderr.contains("damaged records skipped: 0"))
        #expect(r.stderr.contains("elements per second: "))
    }

    @Test func damagedInputExitsThreeAndSaysWhere() throws {
        let file = CLI.data("mrt/slices/bview.20140112.1600_3samples.bz2")
        let r = try CLI.run(["dump", file])
        #expect(r.status == 3)
        #expect(r.stderr.contains("3samples.bz2: record 0 at offset 0: damaged record skipped: RIB record without a preceding PEER_INDEX_TABLE"))
        let strict = try CLI.run(["dump", "--strict", file])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("record 0 at offset 0"))
        let truncated = try CLI.run(["dump", "--count", CLI.data("mrt/slices/rib.20140523.0600_firstMB.bz2")])
        #expect(truncated.status == 3)
        #expect(truncated.stdout == "270005\n")
        #expect(truncated.stderr.contains("bzip2 stream ends unexpectedly"))
    }

    @Test func badArgumentsAndPaths() throws {
        let missing = try CLI.run(["dump", "/nonexistent/updates.gz"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("/nonexistent/updates.gz: cannot open: No such file or directory"))
        let dir = try CLI.run(["dump", "/tmp"])
        #expect(dir.status == 1)
        #expect(dir.stderr.contains("/tmp: is a directory"))
        for args in [["dump", "--type", "X", Self.rib], ["dump", "--prefix", "10.0.0.0/40", Self.rib],
                     ["dump", "--from", "yesterday", Self.rib], ["dump", "--format", "xml", Self.rib],
                     ["dump", "--ipv4", "--ipv6", Self.rib], ["dump"], ["dump", "--no-such-flag", Self.rib]] {
            let r = try CLI.run(args)
            #expect(r.status == 64, "\(args)")
            #expect(!r.stderr.isEmpty)
        }
        let notMRT = try CLI.run(["dump", CLI.data("SOURCES.md")])
        #expect(notMRT.status == 3)
        #expect(notMRT.stderr.contains("no MRT record found"))
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-empty.mrt").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        let e = try CLI.run(["dump", empty])
        #expect(e.status == 0 && e.stdout.isEmpty && e.stderr.contains("empty input"))
    }

    @Test func helpTeaches() throws {
        let r = try CLI.run(["dump", "--help"])
        #expect(r.status == 0)
        for word in ["--format", "--prefix-match", "--origin-asn", "--strict", "Examples:", "bgpdump -m"] {
            #expect(r.stdout.contains(word), "\(word)")
        }
    }
}

enum CLI {
    static var sharedDataAvailable: Bool { TestData.available }
    static var bgpdumpAvailable: Bool { TestData.bgpdumpAvailable }
    static func data(_ rel: String) -> String { TestData.path(rel) }

    /// The `blackout` executable built beside the test bundle.
    static let executable: URL = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("blackout")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/blackout")
    }()

    struct Result {
        var status: Int32
        /// False when a signal ended it (a trap, a crash).
        var exited: Bool
        var stdout: String
        var stderr: String
    }

    /// Runs the built `blackout`, with `environment` added to this process's.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        // Standard error goes to a file, so neither stream can block the other.
        let errPath = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-stderr-\(UUID().uuidString)").path
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: errPath)
        if let stdin { p.standardInput = FileHandle(forReadingAtPath: stdin) }
        try p.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let errData = FileManager.default.contents(atPath: errPath) ?? Data()
        return Result(status: p.terminationStatus, exited: p.terminationReason == .exit,
                      stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    static func bgpdump(_ path: String) throws -> String {
        String(decoding: try TestData.bgpdump(path), as: UTF8.self)
    }
}

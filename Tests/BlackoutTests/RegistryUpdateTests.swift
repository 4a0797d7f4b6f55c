import Foundation
import Testing

/// `blackout registry update` against a local HTTP server laid out as the RIR mirrors are.
@Suite(.enabled(if: CLI.sharedDataAvailable, "needs ../shared/data"))
struct RegistryUpdateTests {
    static let layout: [(String, String, String)] = [
        ("afrinic", "delegated-afrinic-extended-latest", "delegated-afrinic-latest.20140630"),
        ("apnic", "delegated-apnic-extended-latest", "delegated-apnic-latest.20140630"),
        ("arin", "delegated-arin-extended-latest", "delegated-arin-extended-latest.20140804"),
        ("lacnic", "delegated-lacnic-extended-latest", "delegated-lacnic-latest.20140627"),
        ("ripencc", "delegated-ripencc-extended-latest", "delegated-ripencc-latest.20140630"),
        ("iana", "delegated-iana-latest", "delegated-iana-latest.20190911"),
    ]

    /// A python http.server on 127.0.0.1 (an ephemeral port) serving `root`; stopped by the caller.
    static func serve(_ root: URL) throws -> (Process, Int) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", root.path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        var text = ""
        while !text.contains("\n") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let r = text.range(of: "port "), let port = Int(text[r.upperBound...].prefix { $0.isNumber }) else {
            p.terminate()
            throw CLI.Failure("http.server did not start: \(text)")
        }
        return (p, port)
    }

    @Test func downloadsIntoPlaceAndKeepsGoodFilesOnFailure() throws {
        let fm = FileManager.default
        let work = fm.temporaryDirectory.appendingPathComponent("blackout-registry-\(UUID().uuidString)")
        let mirror = work.appendingPathComponent("mirror"), dest = work.appendingPathComponent("dest")
        defer { try? fm.removeItem(at: work) }
        for (rir, name, source) in Self.layout {
            let dir = mirror.appendingPathComponent(rir)
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            try fm.copyItem(atPath: CLI.data("registry/\(source)"), toPath: dir.appendingPathComponent(name).path)
        }
        let (server, port) = try Self.serve(mirror)
        defer { server.terminate() }
        let base = "http://127.0.0.1:\(port)"
        let r = try CLI.run(["registry", "update", "--dest", dest.path, "--base-url", base])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("6 of 6 files updated"))
        for (_, name, source) in Self.layout {
            #expect(fm.contentsEqual(atPath: dest.appendingPathComponent(name).path, andPath: CLI.data("registry/\(source)")))
        }
        // The downloaded directory works for the census (dates come from the version lines).
        let kp = try CLI.run(["country", "KP", "--rib", CLI.data("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2"),
                              "--registry", dest.path, "--peer-asn", "30844", "--json", "-q"])
        #expect(kp.stdout.contains("\"prefixes\":4"))
        // A file gone from the server, and one that is not a statistics file: errors that
        // name the URL, exit 1, and the good files already there stay as they were.
        try fm.removeItem(at: mirror.appendingPathComponent("iana/delegated-iana-latest"))
        try Data("<html>maintenance</html>\n".utf8).write(to: mirror.appendingPathComponent("apnic/delegated-apnic-extended-latest"))
        let again = try CLI.run(["registry", "update", "--dest", dest.path, "--base-url", base])
        #expect(again.status == 1)
        #expect(again.stderr.contains("\(base)/iana/delegated-iana-latest: not on the server (HTTP 404)"), "\(again.stderr)")
        #expect(again.stderr.contains("\(base)/apnic/delegated-apnic-extended-latest: the server sent a web page"), "\(again.stderr)")
        #expect(again.stdout.contains("4 of 6 files updated"))
        #expect(fm.contentsEqual(atPath: dest.appendingPathComponent("delegated-apnic-extended-latest").path,
                                 andPath: CLI.data("registry/delegated-apnic-latest.20140630")))
        #expect(fm.fileExists(atPath: dest.appendingPathComponent("delegated-iana-latest").path))
        #expect(!(try fm.contentsOfDirectory(atPath: dest.path)).contains { $0.hasSuffix(".part") })
    }

    @Test func badBaseURL() throws {
        let r = try CLI.run(["registry", "update", "--dest", "/tmp/x", "--base-url", "ftp://example"])
        #expect(r.status == 64)
    }
}

extension CLI {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRDB
import Hummingbird
import HummingbirdTesting
import Pipeline
import Store
import Testing
import TestSupport

/// `blackout serve` as users run it: the built binary on an ephemeral port of 127.0.0.1.
@Suite(.enabled(if: TestData.available, "needs ../shared/data"), .serialized)
struct APIServeTests {
    /// Reads served while an ingest writes the same store in another process (held inside its
    /// commit by the store's failpoint): every answer a 200 with the last committed state; once
    /// the ingest commits, the next answers show its data (nothing stale is cached).
    @Test func servesWhileAnIngestWrites() async throws {
        let path = try APIFixture.copy()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let rest = try APIFixture.archives.get().rest
        let server = try ServeProcess(["--db", path])
        defer { server.stop() }
        let before = try await server.get("/api/v1/health")
        let timeline = try await server.get("/api/v1/countries/KP/timeline")
        #expect(before.status == 200 && timeline.status == 200)

        let ready = APIFixture.temp("ready")
        let ingest = try ServeProcess.start(["ingest", "-q", "--db", path, "--registry", APIFixture.registry] + rest.map(\.path),
                                            environment: ["BLACKOUT_FAILPOINT": "hold-commit", "BLACKOUT_FAILPOINT_READY": ready,
                                                          // Held until killed below, however slow the machine.
                                                          "BLACKOUT_FAILPOINT_SECONDS": "3600"])
        defer { if ingest.isRunning { kill(ingest.processIdentifier, SIGKILL) } }
        var waited = 0.0
        while !FileManager.default.fileExists(atPath: ready), ingest.isRunning, waited < 300 {
            // Reads all along the ingest's replay.
            let r = try await server.get("/api/v1/countries/KP/timeline")
            #expect(r.status == 200 && r.body == timeline.body, "\(r.status) \(r.body.prefix(200))")
            try await Task.sleep(for: .milliseconds(200))
            waited += 0.25
        }
        try #require(FileManager.default.fileExists(atPath: ready), "the ingest never reached its commit")
        #expect(FileManager.default.fileExists(atPath: path + "-wal"), "the store is in WAL mode")
        for uri in ["/api/v1/health", "/api/v1/countries", "/api/v1/countries/KP", "/api/v1/countries/KP/timeline", "/api/v1/events",
                    "/api/v1/asns/131279/timeline", "/metrics"] {
            let r = try await server.get(uri)
            #expect(r.status == 200, "\(uri) during the ingest's commit: \(r.status) \(r.body.prefix(300))")
        }
        #expect(try await server.get("/api/v1/health").body == before.body, "the uncommitted ingest is not seen")
        kill(ingest.processIdentifier, SIGKILL)
        ingest.waitUntilExit()

        let done = try ServeProcess.start(["ingest", "-q", "--db", path, "--registry", APIFixture.registry] + rest.map(\.path))
        done.waitUntilExit()
        #expect(done.terminationStatus == 0)
        let latest = try #require(try SQLiteStore(path: path).checkpoint()?.time)
        let after = try await server.get("/api/v1/health")
        #expect(after.body.contains("\"latest_data\":\"\(EventRendering.iso(latest))\""), "\(after.body)")
        let moved = try await server.get("/api/v1/countries/KP/timeline")
        #expect(moved.status == 200 && moved.body != timeline.body && moved.body.contains("\"to\":\"2014-12-23T12:0"), "\(moved.body.prefix(200))")
    }

    /// A store written by a newer blackout, or none at all: the server refuses to start, saying why.
    @Test func refusesNewerAndMissingStores() throws {
        let path = try APIFixture.copy()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99: from a later blackout')")
        }
        let newer = try ServeProcess.run(["serve", "--db", path, "--port", "0"])
        #expect(newer.status == 1 && newer.stderr.contains("\(path): written by a newer version of blackout"), "\(newer.stderr)")
        let missing = try ServeProcess.run(["serve", "--db", path + ".none", "--port", "0"])
        #expect(missing.status == 1 && missing.stderr.contains("no such database"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path + ".none"), "nothing created")
        let badToken = try ServeProcess.run(["serve", "--db", path, "--token", "short"])
        #expect(badToken.status == 64 && badToken.stderr.contains("--token"), "\(badToken.stderr)")
    }

    /// Schemathesis (PyPI) against the live server and its own OpenAPI document: generated
    /// requests for every operation, valid and not; no 500, every response (errors included)
    /// as the document describes it.
    @Test func schemathesisFindsNoFailures() async throws {
        let path = try APIFixture.copy()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let server = try ServeProcess(["--db", path, "--token", "schemathesis-token-0123"])
        defer { server.stop() }
        // Schemathesis keeps its cache (.schemathesis/) in its working directory: a temporary one.
        let work = APIFixture.temp("schemathesis")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let r = try ServeProcess.run(["-m", "schemathesis.cli", "run", "\(server.url)/api/v1/openapi.json", "--url", server.url,
                                      "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                                      "--max-examples", "40", "--seed", "2014", "--suppress-health-check", "all",
                                      "--no-color"],
                                     executable: "/usr/bin/env", prefix: ["python3"], directory: work)
        #expect(r.status == 0, "schemathesis: \(r.stdout.suffix(6000)) \(r.stderr.suffix(2000))")
        #expect(r.stdout.contains("openapi.json") || r.stdout.contains("Schema"), "\(r.stdout.prefix(500))")
    }
}

/// The built `blackout` binary: `serve` running in the background, or any command run to its end.
final class ServeProcess: @unchecked Sendable {
    let process: Process
    let url: String
    let stderrPath: String

    /// The `blackout` executable built beside the test bundle.
    static let executable: URL = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("blackout")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/blackout")
    }()

    /// Starts `blackout serve --port 0 ARGS` and waits for the line naming its address.
    init(_ arguments: [String]) throws {
        stderrPath = APIFixture.temp("serve-stderr")
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process = try Self.start(["serve", "--port", "0"] + arguments, stderr: stderrPath)
        var address: String?
        for _ in 0..<600 where address == nil {
            let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: "http://127.0.0.1:") {
                let rest = text[range.upperBound...]
                address = "http://127.0.0.1:" + rest.prefix { $0.isNumber }
            } else if !process.isRunning {
                throw FixtureError("blackout serve exited: \(text)")
            } else {
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        guard let address else { throw FixtureError("blackout serve never said where it listens") }
        url = address
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    static func start(_ arguments: [String], environment: [String: String] = [:], stderr: String? = nil) throws -> Process {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = stderr.flatMap { FileHandle(forWritingAtPath: $0) } ?? FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        return p
    }

    /// Runs a command to its end: its status and output.
    static func run(_ arguments: [String], executable: String? = nil, prefix: [String] = [],
                    directory: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        p.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? Self.executable
        p.arguments = prefix + arguments
        let out = APIFixture.temp("out"), err = APIFixture.temp("err")
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: out); try? FileManager.default.removeItem(atPath: err) }
        p.standardOutput = FileHandle(forWritingAtPath: out)
        p.standardError = FileHandle(forWritingAtPath: err)
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "", (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }

    /// GET over a real socket (URLSession): the status and the body.
    func get(_ uri: String) async throws -> (status: Int, body: String) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url + uri)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}

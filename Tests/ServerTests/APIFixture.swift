import Foundation
import Hummingbird
import HummingbirdTesting
import Pipeline
import ScenarioSupport
import Server
import Store
import Testing
import TestSupport

/// The store the API tests read: a real ingest (`IngestPipeline`, as `blackout ingest` runs
/// it) of North Korea's outage of December 2014 as the collectors' archives would hold it
/// (`KP2014Scenario`: route-views2 and rrc00, the real jinx table's KP prefixes and a sample of
/// the world), built once per test process. Tests that change a store work on a copy.
enum APIFixture {
    static let registry = TestData.path("registry")

    /// The scenario's files, written once: the first part (to 2014-12-23 06:00) and the rest.
    static let archives: Result<(dir: String, first: [ScenarioFile], rest: [ScenarioFile]), Error> = Result {
        let dir = temp("archives")
        let split: UInt32 = 1_419_314_400  // 2014-12-23 06:00 UTC
        let first = try KP2014Scenario.write(directory: dir + "/first", to: split)
        let rest = try KP2014Scenario.write(directory: dir + "/rest", from: split)
        return (dir, first, rest)
    }

    /// The database after ingesting the first part of the scenario.
    static let database: Result<String, Error> = Result {
        let files = try archives.get().first
        let db = temp("store") + ".sqlite"
        _ = try ingest(files, into: db)
        return db
    }

    static func temp(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("blackout-api-\(name)-\(UUID().uuidString)").path
    }

    /// Ingests `files` into the database at `path` through the library.
    @discardableResult
    static func ingest(_ files: [ScenarioFile], into path: String) throws -> IngestReport {
        let pipeline = IngestPipeline(store: try SQLiteStore(path: path), options: IngestOptions(registryDirectory: registry))
        let report = try pipeline.run(files: files.map(\.path), collectors: Dictionary(files.map { ($0.path, $0.collector) }) { a, _ in a })
        guard report.failed.isEmpty, report.damagedRecords == 0 else { throw FixtureError("the fixture's ingest: \(report.failed)") }
        return report
    }

    /// A copy of the fixture's database, for a test that changes it.
    static func copy() throws -> String {
        let path = temp("copy") + ".sqlite"
        try FileManager.default.copyItem(atPath: try database.get(), toPath: path)
        return path
    }

    /// The store as the server opens it (read-only) and the writable one, over `path`.
    static func stores(_ path: String? = nil) throws -> (reader: SQLiteStore, writer: SQLiteStore) {
        let path = try path ?? database.get()
        return (try SQLiteStore(readingAt: path), try SQLiteStore(path: path))
    }

    /// The API's router over the fixture's store (or `path`), tested without a socket.
    static func withRouter<T>(_ path: String? = nil, token: String? = nil,
                              _ body: @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        let path = try path ?? database.get()
        let store = try SQLiteStore(readingAt: path)
        let router = BlackoutServer.router(store: store, openWriter: { try SQLiteStore(path: path) }, options: ServerOptions(token: token))
        return try await Application(router: router).test(.router, body)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// JSON answers, checked as they are read.
extension TestResponse {
    var apiText: String { String(buffer: body) }

    func apiObject() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(apiText.utf8)) as? [String: Any], "not a JSON object: \(apiText.prefix(300))")
    }
}

extension TestClientProtocol {
    /// GET `uri`, expecting 200 and a JSON object.
    func apiJSON(_ uri: String) async throws -> [String: Any] {
        try await execute(uri: uri, method: .get) { r in
            #expect(r.status == .ok, "\(uri): \(r.status) \(r.apiText.prefix(300))")
            #expect(r.headers[.contentType] == "application/json; charset=utf-8", "\(uri)")
            return try r.apiObject()
        }
    }

    /// GET (or `method`) `uri`, expecting `status` and the error shape: `{"error": "..."}` and nothing else.
    func apiError(_ uri: String, _ status: HTTPResponse.Status, method: HTTPRequest.Method = .get, headers: HTTPFields = [:],
                  sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        try await execute(uri: uri, method: method, headers: headers) { r in
            #expect(r.status == status, "\(method) \(uri): \(r.status) \(r.apiText.prefix(300))", sourceLocation: sourceLocation)
            #expect(r.headers[.contentType] == "application/json; charset=utf-8", "\(uri)", sourceLocation: sourceLocation)
            let object = try r.apiObject()
            #expect(object.count == 1, "\(object)", sourceLocation: sourceLocation)
            return try #require(object["error"] as? String, "\(object)", sourceLocation: sourceLocation)
        }
    }
}

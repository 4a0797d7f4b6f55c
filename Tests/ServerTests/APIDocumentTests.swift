import Foundation
import Hummingbird
import HummingbirdTesting
import Store
import Testing
import TestSupport

/// `/api/v1/openapi.json` against the routes served, and `/metrics` against the requests made
/// and the store. (Against real responses: `APIServeTests.schemathesisFindsNoFailures`.)
@Suite(.enabled(if: TestData.available, "needs ../shared/data"))
struct APIDocumentTests {
    /// Every operation the document names is served (never "no such route") and answers one of
    /// the statuses it documents; every route of the contract is in it; every reference resolves.
    @Test func documentCoversEveryRoute() async throws {
        try await APIFixture.withRouter(token: "document-token-0123456") { client in
            let doc = try await client.apiJSON("/api/v1/openapi.json")
            #expect(doc["openapi"] as? String == "3.0.3")
            let paths = try #require(doc["paths"] as? [String: [String: Any]])
            let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
            let contract: Set<String> = ["GET /api/v1/health", "GET /api/v1/countries", "GET /api/v1/countries/{cc}",
                                         "GET /api/v1/countries/{cc}/timeline", "GET /api/v1/asns/{asn}", "GET /api/v1/asns/{asn}/timeline",
                                         "GET /api/v1/events", "GET /api/v1/openapi.json", "GET /metrics", "POST /api/v1/alerts/retry"]
            let documented = Set(paths.flatMap { path, ops in ops.keys.map { "\($0.uppercased()) \(path)" } })
            #expect(contract.isSubset(of: documented), "missing: \(contract.subtracting(documented))")
            // Every $ref names a schema of the document.
            let text = try await client.execute(uri: "/api/v1/openapi.json", method: .get) { $0.apiText }
            for ref in text.components(separatedBy: "\"$ref\":\"#/components/schemas/").dropFirst() {
                let name = String(ref.prefix { $0 != "\"" })
                #expect(schemas[name] != nil, "unresolved $ref \(name)")
            }
            let examples = ["{cc}": "KP", "{asn}": "131279", "{name}": "dashboard.css"]
            for (path, operations) in paths {
                var uri = path
                for (k, v) in examples { uri = uri.replacingOccurrences(of: k, with: v) }
                #expect(!uri.contains("{"), "\(path): a parameter without an example")
                for (method, op) in operations {
                    let operation = try #require(op as? [String: Any])
                    let responses = try #require(operation["responses"] as? [String: Any])
                    #expect(responses["200"] != nil, "\(method) \(path)")
                    for p in operation["parameters"] as? [[String: Any]] ?? [] where p["in"] as? String == "path" {
                        #expect(path.contains("{\(p["name"] as? String ?? "")}"), "\(path): parameter \(p)")
                    }
                    let m = HTTPRequest.Method(rawValue: method.uppercased())!
                    let headers: HTTPFields = operation["security"] == nil ? [:] : [.authorization: "Bearer document-token-0123456"]
                    try await client.execute(uri: uri, method: m, headers: headers) { r in
                        #expect(responses[String(r.status.code)] != nil, "\(method) \(uri): \(r.status) is not documented")
                        #expect(!r.apiText.contains("no such route"), "\(method) \(uri) is documented but not served")
                    }
                }
            }
        }
    }

    /// Requests counted per route template, method and status; the store's figures as gauges.
    @Test func metricsCountRequestsAndTheStore() async throws {
        let store = try APIFixture.stores().writer
        let files = try store.files(), totals = try store.totals()
        try await APIFixture.withRouter { client in
            for _ in 0..<3 { _ = try await client.apiJSON("/api/v1/countries/KP") }
            _ = try await client.apiJSON("/api/v1/countries/kp/timeline")
            _ = try await client.apiError("/api/v1/countries/XX", .badRequest)
            _ = try await client.apiError("/nothing/here", .notFound)
            let text = try await client.execute(uri: "/metrics", method: .get) { r in
                #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                return r.apiText
            }
            func value(_ series: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            let requests = "blackout_http_requests_total"
            #expect(value(#"\#(requests){route="/api/v1/countries/{cc}",method="GET",status="200"}"#) == 3, "\(text.prefix(3000))")
            #expect(value(#"\#(requests){route="/api/v1/countries/{cc}/timeline",method="GET",status="200"}"#) == 1)
            #expect(value(#"\#(requests){route="/api/v1/countries/{cc}",method="GET",status="400"}"#) == 1)
            #expect(value(#"\#(requests){route="unmatched",method="GET",status="404"}"#) == 1)
            #expect(value(#"blackout_http_request_duration_seconds_count{route="/api/v1/countries/{cc}",method="GET",status="200"}"#) == 3)
            #expect(value("blackout_store_files") == Double(files.count) && files.count > 10)
            #expect(value("blackout_store_elements") == Double(files.reduce(0) { $0 + $1.elements }))
            #expect(value("blackout_store_open_events") == Double(totals.openEvents))
            #expect(value("blackout_store_events") == Double(totals.events) && totals.events > 0)
            #expect(value("blackout_store_census_time_seconds") == Double(totals.censusTime ?? 0) && totals.censusTime != nil)
            #expect(value("blackout_store_state_bytes") == Double(totals.stateBytes) && totals.stateBytes > 0)
            #expect(value("blackout_store_routes") == Double(totals.routes ?? -1) && (totals.routes ?? 0) > 0)
            #expect(value(#"blackout_alerts{state="pending"}"#) == 0)
        }
    }
}

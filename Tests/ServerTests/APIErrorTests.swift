import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Outages
import Pipeline
import Registry
import Store
import Testing
import TestSupport

/// Bad input: the right status and `{"error": "..."}` naming what was wrong, never a 500.
@Suite(.enabled(if: TestData.available, "needs ../shared/data"))
struct APIErrorTests {
    @Test func malformedParametersAre400() async throws {
        try await APIFixture.withRouter { client in
            let cases: [(String, String)] = [
                ("/api/v1/countries/K1", "not a country code"),
                ("/api/v1/countries/KPX", "not a country code"),
                ("/api/v1/countries/%00%00", "not a country code"),
                ("/api/v1/countries/XX", "unknown country code"),
                ("/api/v1/countries/KP/timeline?from=yesterday", "from=yesterday is not a time"),
                ("/api/v1/countries/KP/timeline?from=2014-13-01", "is not a time"),
                ("/api/v1/countries/KP/timeline?to=2014-12-22T25:00Z", "is not a time"),
                ("/api/v1/countries/KP/timeline?from=4294967296", "is not a time"),
                ("/api/v1/countries/KP/timeline?from=2014-12-23&to=2014-12-22", "reversed"),
                ("/api/v1/countries/KP/timeline?from=2014-12-22&to=2014-12-22", "reversed or empty"),
                ("/api/v1/countries/KP/timeline?from=0&to=4294967295", "more than 8928 bins"),
                ("/api/v1/countries/KP/timeline?from=2014-01-01&to=2014-02-02", "more than 8928 bins"),
                ("/api/v1/countries/KP/timeline?bin=7m", "bin=7m"),
                ("/api/v1/countries/KP/timeline?bin=", "bin="),
                ("/api/v1/countries/KP/timeline?from=2014-12-22&from=2014-12-21", "given 2 times"),
                ("/api/v1/asns/0", "not an AS number"),
                ("/api/v1/asns/4294967296", "not an AS number"),
                ("/api/v1/asns/-1", "not an AS number"),
                ("/api/v1/asns/AS", "not an AS number"),
                ("/api/v1/asns/12x/timeline", "not an AS number"),
                ("/api/v1/events?limit=0", "limit=0"),
                ("/api/v1/events?limit=1001", "limit=1001"),
                ("/api/v1/events?limit=ten", "limit=ten"),
                ("/api/v1/events?cursor=garbage", "cursor 'garbage'"),
                ("/api/v1/events?cursor=MTIzNDU", "cursor"),
                ("/api/v1/events?kind=earthquake", "kind=earthquake"),
                ("/api/v1/events?family=ipv5", "family=ipv5"),
                ("/api/v1/events?country=Korea", "not a country code"),
                ("/api/v1/events?asn=0", "not an AS number"),
                ("/api/v1/events?from=noon", "from=noon"),
            ]
            for (uri, message) in cases {
                let error = try await client.apiError(uri, .badRequest)
                #expect(error.contains(message), "\(uri): \(error)")
            }
            // A 31-day range at 5 minutes is the most one answer holds; at 1d the same range is fine.
            _ = try await client.apiJSON("/api/v1/countries/KP/timeline?from=2014-12-01&to=2015-01-01")
            _ = try await client.apiJSON("/api/v1/countries/KP/timeline?from=2014-01-01&to=2015-01-01&bin=1d")
        }
    }

    @Test func nothingStoredIs404() async throws {
        let store = try APIFixture.stores().writer
        let aq = CountryCode("AQ")!
        try #require(try !store.hasSeries(.country(aq)) && store.census(aq) == nil, "the fixture has no data for Antarctica")
        try #require(try !store.hasSeries(.asn(64_511)))
        try await APIFixture.withRouter { client in
            for uri in ["/api/v1/countries/AQ", "/api/v1/countries/AQ/timeline", "/api/v1/asns/64511", "/api/v1/asns/64511/timeline"] {
                let error = try await client.apiError(uri, .notFound)
                #expect(error.contains("no data for"), "\(uri): \(error)")
            }
            for uri in ["/api/v1/nothing", "/api/v1/countries/KP/nothing", "/api", "/api/v1/countries/KP/timeline/x", "/metrics/x"] {
                let error = try await client.apiError(uri, .notFound)
                #expect(error.hasPrefix("no such route: GET "), "\(uri): \(error)")
            }
            // A route without that method is no route either.
            let error = try await client.apiError("/api/v1/health", .notFound, method: .delete)
            #expect(error == "no such route: DELETE /api/v1/health", "\(error)")
        }
    }

    /// `POST /api/v1/alerts/retry`: no token configured 503; no or malformed Authorization 401
    /// (with the Bearer challenge); a wrong token 403; the right one makes the undelivered
    /// alerts due now.
    @Test func retryNeedsTheBearerToken() async throws {
        let token = "s3cret-token-0123456789"
        let path = try APIFixture.copy()
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Alerts queued by the store's own save (an event opened and closed, for two receivers),
        // one of them delivered since; none due before the year 2096.
        let writer = try SQLiteStore(path: path)
        var event = try #require(try writer.events(EventQuery(country: CountryCode("KP")!, kind: .outage)).first)
        event.start -= 86_400
        writer.webhooks = WebhookPlan(urls: ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"], render: EventRendering.json)
        try writer.save(IngestResult(files: [], bins: [], events: [event]))
        let queued = try writer.alertDeliveries(limit: 100)
        try #require(queued.count >= 2, "\(queued.count) alerts queued")
        try writer.markAlertDelivered(row: queued[0].row, at: 1)
        for q in queued.dropFirst() { try writer.markAlertFailed(row: q.row, at: 1, error: "refused", retryAt: 4_000_000_000) }
        let undelivered = queued.count - 1
        try await APIFixture.withRouter(path) { client in
            let e = try await client.apiError("/api/v1/alerts/retry", .serviceUnavailable, method: .post)
            #expect(e.contains("no API token configured"), "\(e)")
        }
        try await APIFixture.withRouter(path, token: token) { client in
            let cases: [(String?, HTTPResponse.Status, String)] = [
                (nil, .unauthorized, "needs Authorization: Bearer"),
                ("Basic dXNlcjpwYXNz", .unauthorized, "malformed Authorization"),
                ("Bearer", .unauthorized, "malformed"),
                ("Bearer ", .unauthorized, "malformed"),
                ("Bearer  \(token)", .unauthorized, "malformed"),
                ("Bearer \(token) x", .unauthorized, "malformed"),
                ("Bearer tok\u{e9}n", .unauthorized, "malformed"),
                ("Bearer ===", .unauthorized, "malformed"),
                ("Bearer \(token)x", .forbidden, "wrong API token"),
                ("Bearer s3cret", .forbidden, "wrong API token"),
            ]
            for (header, status, message) in cases {
                var headers: HTTPFields = [:]
                if let header { headers[.authorization] = header }
                try await client.execute(uri: "/api/v1/alerts/retry", method: .post, headers: headers) { r in
                    #expect(r.status == status, "\(header ?? "none"): \(r.status) \(r.apiText)")
                    let object = try r.apiObject()
                    let error = object["error"] as? String ?? ""
                    #expect(error.contains(message), "\(header ?? "none"): \(error)")
                    if status == .unauthorized { #expect(r.headers[.wwwAuthenticate] == "Bearer realm=\"blackout\"") }
                }
            }
            try await client.execute(uri: "/api/v1/alerts/retry", method: .post, headers: [.authorization: "bearer \(token)"]) { r in
                #expect(r.status == .ok, "\(r.apiText)")
                let retried = try r.apiObject()["retried"] as? Int
                #expect(retried == undelivered)
            }
        }
        let due = try SQLiteStore(path: path).alertDeliveries(limit: 100).filter { $0.delivered == nil }.map(\.nextAttempt)
        let now = Date().timeIntervalSince1970
        #expect(due.count == undelivered && due.allSatisfy { abs($0 - now) < 120 }, "\(due)")
    }

    /// A store another connection holds the write lock of (as an ingest does while it
    /// writes): reads go on (write-ahead log), the one route that writes waits for it a few
    /// seconds, then answers 503 with the error shape; once the lock is released, 200 again.
    @Test func lockedStoreIs503ForWritesAndReadsGoOn() async throws {
        let token = "s3cret-token-0123456789"
        let path = try APIFixture.copy()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await APIFixture.withRouter(path, token: token) { client in
            var config = Configuration()
            config.allowsUnsafeTransactions = true
            let holder = try DatabaseQueue(path: path, configuration: config)
            try await holder.writeWithoutTransaction { db in
                try db.execute(sql: "BEGIN IMMEDIATE; UPDATE census SET time = time")
            }
            let auth: HTTPFields = [.authorization: "Bearer \(token)"]
            let error = try await client.apiError("/api/v1/alerts/retry", .serviceUnavailable, method: .post, headers: auth)
            #expect(error.contains("the store is busy") && error.contains("locked by another process"), "\(error)")
            _ = try await client.apiJSON("/api/v1/countries/KP/timeline")
            _ = try await client.apiJSON("/api/v1/health")
            try await holder.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            try holder.close()
            try await client.execute(uri: "/api/v1/alerts/retry", method: .post, headers: auth) { r in
                #expect(r.status == .ok, "\(r.apiText)")
            }
        }
    }
}

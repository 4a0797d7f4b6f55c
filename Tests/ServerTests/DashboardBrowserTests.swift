import Foundation
import Hummingbird
import HummingbirdTesting
import Pipeline
import ScenarioSupport
import Server
import Store
import Testing
import TestSupport

/// The dashboard in a real browser: `blackout serve`'s router over a store from a real
/// ingest (North Korea's outage of December 2014, `KP2014Scenario`), loaded by Debian's
/// headless Chromium; the rendered DOM is checked against the API, and screenshots are kept.
@Suite(.serialized)
struct DashboardBrowserTests {
    /// The KP page over the whole scenario: the chart has one point per bin of the timeline
    /// for each of its three lines, the outage and the instability shaded with their
    /// summaries, the events with their evidence, AS4837 as the one provider.
    @Test func countryPageDrawsTheTimelineAndTheEvidence() async throws {
        try await DashboardServer.with { client, url in
            let dom = try await Chromium.dumpDOM("\(url)/countries/KP?range=all")
            let html = HTMLText(dom)
            #expect(html.attribute("data-state", ofElementWithID: "chart") == "ready", "\(dom.prefix(3000))")
            let query = try #require(html.attribute("data-query", ofElementWithID: "chart"), "the chart host names its query")
            // All of the stored data (2014-12-21 00:00 to 06:00 on the 23rd) in 5-minute bins.
            #expect(query == "from=2014-12-21T00%3A00%3A00Z&to=2014-12-23T06%3A05%3A00Z&bin=5m", "\(query)")

            // The same query of the timeline API: its points, one circle each per series.
            let timeline = try await client.json("/api/v1/countries/KP/timeline?\(query)")
            let points = try #require(timeline["points"] as? [[String: Any]])
            #expect(points.count == 648, "54 hours of 5-minute bins: 2014-12-21 00:00 to the bin of 05:55 on the 23rd")
            #expect(points.allSatisfy { ($0["full_feed_peers"] as? Int ?? 0) > 0 }, "no gap in the data: every bin is drawn")
            for series in ["visible", "slash24s", "visible6"] {
                let circles = html.elements("circle", where: ["class": "point", "data-series": series])
                #expect(circles.count == points.count, "\(series): \(circles.count) circles for \(points.count) points")
                #expect(circles.first?["data-time"] == points.first?["time"] as? String)
                #expect(circles.last?["data-time"] == points.last?["time"] as? String)
            }
            // A bin's value is its end's: nothing visible from the bin of 16:15 (withdrawn at
            // 16:15:00) to that of 01:40; announced again at 01:46, in the bin of 01:45.
            let visible = html.elements("circle", where: ["class": "point", "data-series": "visible"])
            let value = { (t: String) in visible.first { $0["data-time"] == t }?["data-value"] }
            #expect(value("2014-12-22T16:10:00Z") == "4" && value("2014-12-22T16:15:00Z") == "0" && value("2014-12-23T01:40:00Z") == "0"
                    && value("2014-12-23T01:45:00Z") == "4", "\(visible.filter { $0["data-value"] != "4" }.count) bins below 4")
            #expect(zip(visible, points).allSatisfy { c, p in c["data-time"] == p["time"] as? String && c["data-value"] == "\(p["visible"] as? Int ?? -1)" },
                    "every circle is the API's point of its time, with its value")

            let outage = try #require(html.elements("rect", where: ["class": "event outage"]).first, "the outage is shaded")
            #expect(outage["data-start"] == "2014-12-22T16:15:00Z" && outage["data-end"] == "2014-12-23T01:45:00Z", "\(outage)")
            #expect(html.text(afterElement: outage).hasPrefix("KP: complete outage 2014-12-22 16:15 to 2014-12-23 01:45 UTC (9h30m)"))
            let instability = try #require(html.elements("rect", where: ["class": "event instability"]).first)
            #expect(instability["data-start"] == "2014-12-21T16:15:00Z" && instability["data-end"] == "2014-12-22T04:15:00Z")

            // Events with their evidence, the country's and its origin AS's (newest first).
            let events = html.elements("article", where: ["class": "event outage"])
            #expect(events.count == 2, "KP's outage and AS131279's")
            for prefix in ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"] {
                #expect(dom.contains(">\(prefix)</span>"), "\(prefix) among the prefixes lost")
            }
            #expect(dom.contains("KP: complete outage 2014-12-22 16:15 to 2014-12-23 01:45 UTC (9h30m): 4 of 4 prefixes of AS131279 withdrawn"))

            // The providers: AS4837 alone, all of the address space, full dependence.
            let providers = html.section(id: "providers")
            let rows = HTMLText(providers).elements("tr", where: [:]).compactMap { $0["data-asn"] }
            #expect(rows == ["4837"], "\(providers)")
            #expect(providers.contains(">AS4837</a>") && providers.contains("CHINA169-BACKBONE") && providers.contains(">100%</span>"))
            let origins = HTMLText(html.section(id: "origins")).elements("tr", where: [:]).compactMap { $0["data-asn"] }
            #expect(origins == ["131279"])
            #expect(dom.contains("<a href=\"/asns/131279\""), "origin ASes link to their pages")
        }
    }

    /// During the outage (the scenario ingested to 2014-12-22 20:00): KP has no route, so no
    /// census row, yet the overview lists it first, offline, with its open events; its page
    /// says so, with zero visible and the outage shaded as ongoing.
    @Test func ongoingOutageComesFirst() async throws {
        let db = APIFixture.temp("during-outage") + ".sqlite"
        defer { try? FileManager.default.removeItem(atPath: db) }
        let until: UInt32 = 1_419_278_400  // 2014-12-22 20:00 UTC
        try APIFixture.ingest(try APIFixture.archives.get().first.filter { $0.start < until }, into: db)
        try await DashboardServer.with(db) { client, url in
            let list = try await client.json("/api/v1/countries")
            let census = try #require(list["countries"] as? [[String: Any]]).compactMap { $0["country"] as? String }
            #expect(!census.contains("KP"), "no route of KP: no census row")
            let dom = try await Chromium.dumpDOM("\(url)/")
            let html = HTMLText(dom)
            let rows = html.elements("tr", where: [:]).compactMap { $0["data-country"] }
            #expect(rows.first == "KP" && rows.count == census.count + 1, "\(rows.prefix(5)) of \(rows.count)")
            let kp = HTMLText(html.section(id: "open-list"))
            #expect(kp.elements("a", where: ["class": "open-item"]).compactMap { $0["data-country"] } == ["KP"])
            #expect(dom.contains("KP: complete outage since 2014-12-22 16:15 UTC (ongoing, 3h40m): 4 of 4 prefixes of AS131279 withdrawn"), "\(kp.html)")
            #expect(html.section(id: "countries").contains(">offline</span>"))

            let page = try await Chromium.dumpDOM("\(url)/countries/KP?range=all")
            let p = HTMLText(page)
            #expect(p.section(id: "status").contains(">Outage now</span> KP: complete outage since 2014-12-22 16:15 UTC (ongoing"), "\(p.section(id: "status"))")
            #expect(p.section(id: "tiles").contains("<div class=\"value\">0</div><div class=\"sub\">bin of 2014-12-22 19:50 UTC</div>"),
                    "\(p.section(id: "tiles"))")
            let outage = try #require(p.elements("rect", where: ["class": "event outage"]).first)
            #expect(outage["data-start"] == "2014-12-22T16:15:00Z" && outage["data-end"] == "", "ongoing: no end")
        }
    }

    /// The overview lists every country of the census, those with open events first, KP among them.
    @Test func overviewListsTheCensus() async throws {
        try await DashboardServer.with { client, url in
            let list = try await client.json("/api/v1/countries")
            let countries = try #require(list["countries"] as? [[String: Any]])
            let dom = try await Chromium.dumpDOM("\(url)/")
            let rows = HTMLText(dom).elements("tr", where: [:]).compactMap { $0["data-country"] }
            #expect(rows.count == countries.count && Set(rows) == Set(countries.compactMap { $0["country"] as? String }))
            #expect(rows.contains("KP"))
            // Ranked: open events first (none open at the end of the scenario), then by prefixes.
            let byPrefixes = countries.sorted {
                let a = $0["prefixes"] as? Int ?? 0, b = $1["prefixes"] as? Int ?? 0
                return a != b ? a > b : ($0["country"] as? String ?? "") < ($1["country"] as? String ?? "")
            }.compactMap { $0["country"] as? String }
            #expect(rows == byPrefixes, "\(rows.prefix(10)) vs \(byPrefixes.prefix(10))")
            #expect(dom.contains("href=\"/countries/KP\""))
        }
    }

    /// The AS page of the origin AS, and a phone's width; the screenshots are kept.
    @Test func screenshots() async throws {
        try await DashboardServer.with { _, url in
            let dir = DashboardServer.outputDirectory
            for (name, path, size) in [("dashboard-kp", "/countries/KP?range=all", "1280,900"), ("dashboard-kp-phone", "/countries/KP?range=all", "390,1400"),
                                       ("dashboard-overview", "/", "1280,900"), ("dashboard-as131279", "/asns/131279?range=all", "1280,900")] {
                let file = "\(dir)/\(name).png"
                try? FileManager.default.removeItem(atPath: file)
                try await Chromium.screenshot("\(url)\(path)", to: file, windowSize: size)
                let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
                #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) && bytes.count > 20_000, "\(file): \(bytes.count) bytes")
            }
            let dom = try await Chromium.dumpDOM("\(url)/asns/131279?range=all")
            let html = HTMLText(dom)
            #expect(html.attribute("data-state", ofElementWithID: "chart") == "ready")
            #expect(html.elements("circle", where: ["class": "point", "data-series": "visible"]).count == 648)
            #expect(html.elements("rect", where: ["class": "event outage"]).first?["data-start"] == "2014-12-22T16:15:00Z")
            #expect(html.section(id: "providers").contains(">AS4837</a>"))
        }
    }

    /// Pages of what the store does not hold: a 404 with a message naming it.
    @Test func unknownCountryAndASAreNotFound() async throws {
        try await DashboardServer.with { client, _ in
            for (path, message) in [("/countries/ZZ", "No country ZZ in this store"), ("/countries/FX", "No country FX in this store"),
                                    ("/asns/4200000000", "No AS 4200000000 in this store"), ("/asns/x1", "No AS x1 in this store")] {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .notFound, "\(path): \(r.status)")
                #expect(r.headers[.contentType] == "text/html; charset=utf-8")
                #expect(String(buffer: r.body).contains(message), "\(path): \(String(buffer: r.body))")
            }
            let page = try await client.execute(uri: "/countries/kp", method: .get)
            #expect(page.status == .movedPermanently && page.headers[.location] == "/countries/KP")
            let escaped = try await client.execute(uri: "/countries/%3Cb%3E", method: .get)
            #expect(escaped.status == .notFound && !String(buffer: escaped.body).contains("<b>"), "\(String(buffer: escaped.body))")
        }
    }

    /// Assets: only the files of the folder, by exact name, with their types and caching;
    /// traversal in any spelling is a 404.
    @Test func assetsAreServedByExactNameOnly() async throws {
        try await DashboardServer.with { client, _ in
            let css = try await client.execute(uri: "/assets/dashboard.css", method: .get)
            #expect(css.status == .ok && css.headers[.contentType] == "text/css; charset=utf-8" && css.headers[.cacheControl] == "public, max-age=300")
            let etag = try #require(css.headers[.eTag])
            let again = try await client.execute(uri: "/assets/dashboard.css", method: .get, headers: [.ifNoneMatch: etag])
            #expect(again.status == .notModified && again.body.readableBytes == 0)
            let js = try await client.execute(uri: "/assets/chart.js", method: .get)
            #expect(js.status == .ok && js.headers[.contentType] == "text/javascript; charset=utf-8")
            let page = try await client.execute(uri: "/", method: .get)
            #expect(page.status == .ok && page.headers[.contentType] == "text/html; charset=utf-8" && page.headers[.cacheControl] == "no-cache")
            // Deep enough to reach / from wherever the resources are.
            let up = String(repeating: "../", count: 16), upEncoded = String(repeating: "..%2F", count: 16)
            let upDots = String(repeating: "%2e%2e/", count: 16), upBackslash = String(repeating: "..%5C", count: 16)
            for path in ["/assets/\(up)etc/passwd", "/assets/\(upEncoded)etc%2Fpasswd", "/assets/\(upDots)etc/passwd", "/assets/\(upBackslash)etc%5Cpasswd",
                         "/assets/%2e%2e", "/assets//etc/passwd", "/assets/%2Fetc%2Fpasswd", "/assets/README.txt", "/assets/index.html",
                         "/assets/DASHBOARD.CSS", "/assets/dashboard.css%00.png", "/assets/", "/assets"] {
                let r = try await client.execute(uri: path, method: .get)
                #expect(r.status == .notFound, "\(path): \(r.status)")
                #expect(!String(buffer: r.body).contains("root:"), "\(path)")
            }
        }
    }
}

/// The server over the fixture store: one store per test process, a server per test.
enum DashboardServer {
    /// The API tests' store (`APIFixture`: the KP 2014 scenario ingested to 2014-12-23 06:00), built once per test process.
    static var store: Result<String, Error> { APIFixture.database }

    /// Where the screenshots go: `$BLACKOUT_TEST_OUTPUT` or a folder in the temporary directory.
    static let outputDirectory: String = {
        let dir = ProcessInfo.processInfo.environment["BLACKOUT_TEST_OUTPUT"]
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("blackout-test-output").path
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }()

    /// Runs `body` with a client of a live server (a port of its own) over the fixture's store (or `path`), and its base URL.
    static func with(_ path: String? = nil, _ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        let db = try path ?? store.get()
        let router = BlackoutServer.router(store: try SQLiteStore(readingAt: db), openWriter: { try SQLiteStore(path: db) },
                                           options: ServerOptions(port: 0), extensions: [DashboardRoutes.routes(try .bundled())])
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(client, "http://127.0.0.1:\(port)")
        }
    }
}

extension TestClientProtocol {
    /// A JSON object from the API (status 200).
    func json(_ uri: String) async throws -> [String: Any] {
        let r = try await execute(uri: uri, method: .get)
        #expect(r.status == .ok, "\(uri): \(r.status) \(String(buffer: r.body))")
        return try #require(try JSONSerialization.jsonObject(with: Data(String(buffer: r.body).utf8)) as? [String: Any])
    }
}

import Alerts
import Foundation
import MRT
import MRTArchive
import Outages
import Pipeline
import Registry
import Store
import Testing
import TestSupport

/// `Tests/Servers/webhook_receiver.py` on 127.0.0.1: answers POSTs (failing or hanging the
/// first ones when told) and logs each one. Stopped by `stop()`.
final class WebhookReceiver {
    let process: Process
    let port: Int
    let log: String
    var url: String { "http://127.0.0.1:\(port)/hook" }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Servers/webhook_receiver.py").path

    /// `arguments`: the script's faults (`--fail N`, `--hang N`, `--status S`); `port` 0: any free port.
    init(_ arguments: [String] = [], port: Int = 0) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-receiver-\(UUID().uuidString).log").path
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-u", Self.script, "--log", log, "--port", String(port)] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            p.terminate()
            throw CLI.Failure("webhook_receiver.py did not start: '\(line)'")
        }
        process = p
        self.port = port
    }

    /// Every request received, in order: path, idempotency_key, content_type, status (nil: hung), body.
    var requests: [[String: Any]] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// The bodies answered 200.
    var delivered: [[String: Any]] {
        requests.filter { $0["status"] as? Int == 200 }.compactMap { $0["body"] as? [String: Any] }
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: log)
    }
}

/// Webhook alerts end to end: real ingests of the jinx RIB with KP's prefixes withdrawn
/// (the scenario of `IngestCommandTests`), a local receiver that fails, hangs or refuses,
/// and the deliveries the store keeps.
@Suite struct AlertTests {
    static let rib = IngestCommandTests.rib
    static let registry = IngestCommandTests.registry
    static let t0 = IngestCommandTests.t0
    /// Short pauses between attempts (0.2 s doubling), so that retries happen within a test.
    static let fast = ["--webhook-backoff", "0.2"]

    /// As `IngestCommandTests.scenario`, but KP's outage deepens: 175.45.176.0/24 and .177.0/24
    /// withdrawn at 00:00:40 UTC on 2014-05-31 (half of KP: a partial outage), .178.0/24 and
    /// .179.0/24 at 00:45:40 (all of it), all four announced again at 01:00:40.
    static func deepeningScenario(in dir: URL, minutes: ClosedRange<UInt32>) throws -> String {
        let peer = IPAddress("196.223.14.55")!
        let peering = BGP4MPPeering(peerASN: 30844, localASN: 6447, afi: AFI.ipv4, peerAddress: peer,
                                    localAddress: IPAddress("128.223.51.15")!)
        let kp = (176...179).map { Prefix("175.45.\($0).0/24")! }
        let kpPath = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [30844, 3356, 1239, 4837, 131279]), nextHop: peer)
        let other = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [30844, 3356, 15169]), nextHop: peer)
        let w = MRTWriter()
        for minute in minutes {
            let t = t0 + minute * 60
            if t == t0 + 2 * 3600 + 60 { w.writeUpdate(timestamp: t - 20, peering: peering, withdrawn: Array(kp[0..<2])) }
            if t == t0 + 2 * 3600 + 46 * 60 { w.writeUpdate(timestamp: t - 20, peering: peering, withdrawn: Array(kp[2..<4])) }
            if t == t0 + 3 * 3600 + 60 { w.writeUpdate(timestamp: t - 20, peering: peering, announced: kp, attributes: kpPath) }
            w.writeUpdate(timestamp: t, peering: peering, announced: [Prefix("8.8.8.0/24")!], attributes: other)
        }
        let path = dir.appendingPathComponent("routeviews.route-views.jinx.updates.\(t0 + minutes.lowerBound * 60).mrt").path
        let out = try OutputFile(path: path, compression: .none)
        try out.write(w.sink)
        try out.close()
        return path
    }

    /// The events as `blackout events --json` prints them, by `Event.key`-like identity.
    static func storedEvents(_ db: String) throws -> [[String: Any]] {
        let r = try CLI.run(["events", "--db", db, "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
    }

    /// What identifies an event in a payload: its kind, subject, family and start.
    static func identity(_ o: [String: Any]) -> String {
        "\(o["kind"] ?? "") \((o["asn"] as? Int).map { "AS\($0)" } ?? (o["country"] as? String ?? "--")) \(o["family"] ?? "") \(o["start"] ?? "")"
    }

    /// The changes delivered per event, in order of delivery.
    static func changes(_ bodies: [[String: Any]]) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for b in bodies { out[identity(b), default: []].append(b["change"] as? String ?? "?") }
        return out
    }

    /// A payload without `change` and `id`: the event's fields.
    static func fields(_ body: [String: Any]) -> NSDictionary {
        var b = body
        b["change"] = nil
        b["id"] = nil
        return b as NSDictionary
    }

    /// Three ingests (the partial outage opens; it deepens to complete and AS131279's opens;
    /// both close), against a receiver that answers the first three POSTs with 500: each event
    /// is delivered once per change, retried with the same idempotency key, with the exact
    /// fields `blackout events --json` prints.
    @Test func opensDeepensAndClosesThroughFailures() throws {
        #expect(TestData.available, "../shared/data is not beside the checkout")
        let dir = try IngestCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let receiver = try WebhookReceiver(["--fail", "3"])
        defer { receiver.stop() }
        let db = dir.appendingPathComponent("a.sqlite").path
        let runs = [[Self.rib, try Self.deepeningScenario(in: dir, minutes: 1...150)],
                    [try Self.deepeningScenario(in: dir, minutes: 151...180)],
                    [try Self.deepeningScenario(in: dir, minutes: 181...240)]]
        var afterRun: [[String: [String]]] = []
        for files in runs {
            let r = try CLI.run(["ingest", "--db", db, "--registry", Self.registry, "--webhook", receiver.url] + Self.fast + files)
            #expect(r.status == 0, "\(r.stderr)")
            afterRun.append(Self.changes(receiver.delivered))
        }
        let country = "outage KP ipv4 2014-05-31T00:00:00Z"
        let events = try Self.storedEvents(db)
        #expect(events.count == 2, "\(events)")
        let asEvent = try #require(events.first { $0["asn"] as? Int == 131279 })
        let asIdentity = Self.identity(asEvent)
        // Each run delivers what it found, in the run: opened; then deepened and AS131279's opened; then both closed.
        #expect(afterRun[0] == [country: ["opened"]], "\(afterRun[0])")
        #expect(afterRun[1] == [country: ["opened", "deepened"], asIdentity: ["opened"]], "\(afterRun[1])")
        #expect(afterRun[2] == [country: ["opened", "deepened", "closed"], asIdentity: ["opened", "closed"]], "\(afterRun[2])")

        // The first three POSTs failed (500) and were sent again with the same key.
        let requests = receiver.requests
        #expect(requests.prefix(3).allSatisfy { $0["status"] as? Int == 500 })
        #expect(requests.count == 5 + 3, "\(requests.map { "\($0["status"] ?? "-") \($0["idempotency_key"] ?? "-")" })")
        let firstKey = requests[0]["idempotency_key"] as? String
        #expect(firstKey == "outage-KP-ipv4-1401494400-opened")
        #expect(requests[0...3].allSatisfy { $0["idempotency_key"] as? String == firstKey && $0["path"] as? String == "/hook" })
        #expect(requests.allSatisfy { $0["content_type"] as? String == "application/json" })
        for r in requests {
            #expect((r["body"] as? [String: Any])?["id"] as? String == r["idempotency_key"] as? String)
        }

        // The bodies carry the event's exact fields: closed ones those of the stored event, the
        // opened one the partial outage as it was, the deepened one the complete outage.
        let delivered = receiver.delivered
        for e in events {
            let closed = try #require(delivered.first { Self.identity($0) == Self.identity(e) && $0["change"] as? String == "closed" })
            #expect(Self.fields(closed) == e as NSDictionary, "\(closed)")
        }
        let opened = try #require(delivered.first { Self.identity($0) == country && $0["change"] as? String == "opened" })
        #expect(Set(opened.keys) == Set(events[0].keys).union(["change", "id"]))
        #expect(opened["severity"] as? String == "partial" && opened["fraction_lost"] as? Double == 0.5)
        #expect(opened["ongoing"] as? Bool == true && opened["end"] is NSNull)
        #expect(opened["prefixes_lost"] as? [String] == ["175.45.176.0/24", "175.45.177.0/24"])
        let deepened = try #require(delivered.first { $0["change"] as? String == "deepened" })
        #expect(deepened["severity"] as? String == "complete" && deepened["fraction_lost"] as? Double == 1)
        #expect(deepened["id"] as? String == "outage-KP-ipv4-1401494400-deepened-complete-100")
        #expect(deepened["ongoing"] as? Bool == true)

        // The store: five deliveries, all delivered, the first after four attempts.
        let store = try SQLiteStore(path: db)
        let counts = try store.alertCounts()
        #expect(counts.pending == 0 && counts.delivered == 5 && counts.failing == 0)
        let list = try store.alertDeliveries(limit: 10)
        #expect(list.map(\.status) == Array(repeating: .delivered, count: 5))
        #expect(list.last?.attempts == 4 && list.last?.lastError == "HTTP 500: {\"error\": \"told to fail\"}")
        #expect(list.dropLast().allSatisfy { $0.attempts == 1 && $0.lastError == nil })
    }

    /// A receiver that hangs during the ingest does not hold it up beyond the grace period;
    /// the deliveries stay queued; one that refuses them (404) has them marked failed and not
    /// sent again on their own; `blackout alerts --retry` sends them; an ingest with nothing
    /// new to read sends what is due.
    @Test func deadReceiverDoesNotSlowTheIngestAndALaterRunDelivers() throws {
        #expect(TestData.available, "../shared/data is not beside the checkout")
        let dir = try IngestCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let updates = try IngestCommandTests.scenario(in: dir)
        let files = [Self.rib, updates]

        let hanging = try WebhookReceiver(["--hang", "1000"])
        let port = hanging.port
        let db = dir.appendingPathComponent("d.sqlite").path
        let url = hanging.url
        let clock = ContinuousClock.now
        let r = try CLI.run(["ingest", "--db", db, "--registry", Self.registry, "--webhook", url, "--webhook-timeout", "120",
                             "--webhook-grace", "2"] + Self.fast + files)
        let seconds = elapsed(since: clock)
        #expect(r.status == 0, "\(r.stderr)")
        // The process's time beyond the ingest's own (which it reports): the grace period (2 s), and
        // some noise on a shared machine; waiting for the receiver would take 120 s.
        let line = try #require(r.stderr.split(separator: "\n").first { $0.contains(" elements in ") })
        let ingestSeconds = try #require(Double(line.split(separator: " elements in ")[1].prefix { $0 != " " }))
        #expect(seconds - ingestSeconds < 2 + 6, "ingest with a hanging receiver: \(seconds) s, of which the ingest \(ingestSeconds) s")
        // Each event's `closed` waits for its `opened`: two POSTs, cut short.
        #expect(r.stderr.contains("webhooks: 0 delivered, 2 failed attempts, 0 refused; 4 still queued"), "\(r.stderr)")
        #expect(hanging.requests.count == 2 && hanging.requests.allSatisfy { $0["status"] is NSNull })
        #expect(hanging.requests.allSatisfy { ($0["idempotency_key"] as? String)?.hasSuffix("-opened") == true })
        hanging.stop()
        let store = try SQLiteStore(path: db)
        var list = try store.alertDeliveries(limit: 10)
        #expect(list.count == 4 && Set(list.map(\.url)) == [url])
        let opened = list.filter { $0.change == .opened }, closed = list.filter { $0.change == .closed }
        #expect(opened.count == 2 && opened.allSatisfy { $0.status == .retrying && $0.attempts == 1 })
        #expect(opened.allSatisfy { $0.lastError == "cut short at exit: no answer within the grace period" }, "\(list.map(\.lastError))")
        #expect(closed.count == 2 && closed.allSatisfy { $0.status == .queued && $0.attempts == 0 && $0.lastError == nil })

        // A receiver that refuses them: marked failed, said so, and not sent again on their own.
        let refusing = try WebhookReceiver(["--status", "404"], port: port)
        let send = try CLI.run(["alerts", "--db", db, "--send", "--webhook-grace", "5"] + Self.fast)
        #expect(send.status == 0, "\(send.stderr)")
        #expect(send.stderr.contains("refused: HTTP 404"), "\(send.stderr)")
        #expect(send.stderr.contains("marked failed"))
        #expect(refusing.requests.count == 4)
        list = try store.alertDeliveries(limit: 10)
        #expect(list.allSatisfy { $0.status == .failed && $0.attempts == ($0.change == .opened ? 2 : 1)
                && $0.lastError == "HTTP 404: {\"error\": \"told to fail\"}" })
        let listing = try CLI.run(["alerts", "--db", db]).stdout.split(separator: "\n")
        #expect(listing.count == 4 && listing.allSatisfy { $0.hasPrefix("failed ") && $0.contains(url) }, "\(listing)")
        #expect(listing.filter { $0.contains(" attempts 2 ") }.count == 2 && listing.filter { $0.contains(" attempts 1 ") }.count == 2)
        refusing.stop()

        let receiver = try WebhookReceiver([], port: port)
        defer { receiver.stop() }
        let again = try CLI.run(["ingest", "--db", db, "--registry", Self.registry, "--webhook", url] + Self.fast + files)
        #expect(again.status == 0 && again.stderr.contains("nothing to do"), "\(again.stderr)")
        #expect(receiver.requests.isEmpty)
        let retry = try CLI.run(["alerts", "--db", db, "--retry", "--json"] + Self.fast)
        #expect(retry.status == 0, "\(retry.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(retry.stdout.utf8)) as? [[String: Any]])
        #expect(json.count == 4 && json.allSatisfy { $0["status"] as? String == "delivered" })
        #expect(json.map { $0["attempts"] as? Int ?? 0 }.sorted() == [2, 2, 3, 3])
        let events = try Self.storedEvents(db)
        #expect(events.count == 2)
        let delivered = receiver.delivered
        #expect(delivered.count == 4)
        for e in events {
            #expect(Self.changes(delivered)[Self.identity(e)] == ["opened", "closed"], "\(Self.identity(e))")
            let closed = try #require(delivered.first { Self.identity($0) == Self.identity(e) && $0["change"] as? String == "closed" })
            #expect(Self.fields(closed) == e as NSDictionary)
        }
        // Delivered once: another run sends nothing.
        let last = try CLI.run(["ingest", "--db", db, "--registry", Self.registry, "--webhook", url] + Self.fast + files)
        #expect(last.status == 0 && receiver.requests.count == 4)
    }

    /// kill -9 while the ingest's transaction is open (bins, events and deliveries written,
    /// not committed): nothing is queued and nothing sent; the rerun delivers each change once.
    @Test func kill9MidIngestQueuesNothing() throws {
        #expect(TestData.available, "../shared/data is not beside the checkout")
        let dir = try IngestCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let updates = try IngestCommandTests.scenario(in: dir)
        let receiver = try WebhookReceiver()
        defer { receiver.stop() }
        let db = dir.appendingPathComponent("k.sqlite").path
        let args = ["ingest", "-q", "--db", db, "--registry", Self.registry, "--webhook", receiver.url] + Self.fast + [Self.rib, updates]
        let ready = dir.appendingPathComponent("in-commit").path
        let p = Process()
        p.executableURL = CLI.executable
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(["BLACKOUT_FAILPOINT": "hold-commit",
                                                                      "BLACKOUT_FAILPOINT_READY": ready]) { $1 }
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        var waited = 0.0
        while !FileManager.default.fileExists(atPath: ready), waited < 100, p.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
            waited += 0.1
        }
        #expect(FileManager.default.fileExists(atPath: ready), "the ingest never reached its commit")
        // The dispatcher looks at the queue every second meanwhile.
        Thread.sleep(forTimeInterval: 2)
        #expect(p.isRunning)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let store = try SQLiteStore(path: db)
        #expect(try store.alertDeliveries(limit: 10).isEmpty)
        #expect(try store.events(EventQuery()).isEmpty)
        #expect(receiver.requests.isEmpty)

        let rerun = try CLI.run(args)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let events = try Self.storedEvents(db)
        #expect(events.count == 2)
        #expect(receiver.requests.count == 4)
        for e in events { #expect(Self.changes(receiver.delivered)[Self.identity(e)] == ["opened", "closed"]) }
    }
}

extension AlertTests {
    /// `watch --follow` (the North Korea 2014 archives on a clock running an hour a second):
    /// the events it prints as they open and close are the ones POSTed, each change once and in
    /// order, and only those of the country and AS watched.
    @Test func watchFollowAlertsTheEventsItWatches() throws {
        let server = try ArchiveServer(root: try KP2014Archives.shared.get())
        defer { server.stop() }
        let receiver = try WebhookReceiver(["--fail", "1"])
        defer { receiver.stop() }
        let dir = try IngestCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("w.sqlite").path
        let r = try CLI.run(["watch", "KP", "--asn", "131279", "--db", db, "--dest", dir.appendingPathComponent("dest").path,
                             "--routeviews-url", server.url, "--ris-url", server.url, "-q", "--collector", "route-views2",
                             "--registry", Self.registry, "--from", "2014-12-22T06:00Z", "--follow", "--poll", "0.5", "--polls", "24",
                             "--clock-start", "2014-12-22T18:00Z", "--clock-speed", "3600", "--json", "--webhook", receiver.url] + Self.fast)
        #expect(r.status == 0, "\(r.stderr)")
        // What it printed: each event once as it opened, once as it closed.
        let printed = try r.stdout.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
        let watched = Set(printed.map(Self.identity))
        #expect(watched.count == 2 && printed.count == 4, "\(printed)")
        let delivered = receiver.delivered
        #expect(Set(delivered.map(Self.identity)) == watched, "only the events watched: \(delivered.map(Self.identity))")
        for (event, changes) in Self.changes(delivered) {
            // Opened first and closed last, once each, with any deepening between.
            #expect(changes.first == "opened" && changes.last == "closed", "\(event): \(changes)")
            #expect(changes.filter { $0 == "opened" }.count == 1 && changes.filter { $0 == "closed" }.count == 1, "\(event): \(changes)")
            #expect(changes.dropFirst().dropLast().allSatisfy { $0 == "deepened" }, "\(event): \(changes)")
        }
        // The closed payloads are the events it printed as closed, with the change and id.
        for e in printed where e["end"] is String {
            let closed = try #require(delivered.first { Self.identity($0) == Self.identity(e) && $0["change"] as? String == "closed" })
            #expect(Self.fields(closed) == e as NSDictionary)
        }
        #expect(receiver.requests.first?["status"] as? Int == 500 && receiver.requests.count == delivered.count + 1)
    }
}

/// The rules behind the alerts, on their own.
@Suite struct AlertRuleTests {
    static func event(severity: Event.Severity, fraction: Double, end: UInt32? = nil) -> Event {
        Event(country: CountryCode("KP"), asn: nil, kind: .outage, severity: severity, start: 1_401_494_400, end: end,
              fractionLost: fraction, baseline: 4, prefixesLost: [], originsAffected: [131279], originsUnaffected: [],
              providersLost: [4837], peers: [], summary: "KP: \"quoted\"")
    }

    @Test func changesComparedWithTheStoredVersion() {
        let open = AlertBasis(severity: .partial, fractionLost: 0.3, closed: false)
        // New events.
        #expect(AlertRule.changes(stored: nil, alerted: nil, new: Self.event(severity: .partial, fraction: 0.3)) == [.opened])
        #expect(AlertRule.changes(stored: nil, alerted: nil, new: Self.event(severity: .partial, fraction: 0.3, end: 1_401_498_000))
                == [.opened, .closed])
        // Deepening: 10 points or more, or partial to complete; measured from the last alert.
        #expect(AlertRule.changes(stored: open, alerted: nil, new: Self.event(severity: .partial, fraction: 0.39)) == [])
        #expect(AlertRule.changes(stored: open, alerted: nil, new: Self.event(severity: .partial, fraction: 0.4)) == [.deepened])
        #expect(AlertRule.changes(stored: AlertBasis(severity: .partial, fractionLost: 0.38, closed: false), alerted: open,
                                  new: Self.event(severity: .partial, fraction: 0.41)) == [.deepened])
        #expect(AlertRule.changes(stored: AlertBasis(severity: .partial, fractionLost: 0.95, closed: false), alerted: nil,
                                  new: Self.event(severity: .complete, fraction: 1)) == [.deepened])
        #expect(AlertRule.changes(stored: open, alerted: nil, new: Self.event(severity: .partial, fraction: 0.3)) == [])
        // Closing, and an event saved again once closed.
        #expect(AlertRule.changes(stored: open, alerted: nil, new: Self.event(severity: .complete, fraction: 1, end: 1_401_498_000)) == [.closed])
        #expect(AlertRule.changes(stored: AlertBasis(severity: .partial, fractionLost: 0.3, closed: true), alerted: nil,
                                  new: Self.event(severity: .partial, fraction: 0.3, end: 1_401_498_000)) == [])
    }

    @Test func payloadIsTheEventsJSONWithChangeAndID() throws {
        let e = Self.event(severity: .partial, fraction: 0.5)
        let plan = WebhookPlan(urls: ["http://127.0.0.1:1/"], render: EventRendering.json)
        let id = AlertRule.deliveryID(e, .opened)
        #expect(id == "outage-KP-ipv4-1401494400-opened")
        #expect(AlertRule.deliveryID(e, .deepened) == "outage-KP-ipv4-1401494400-deepened-partial-50")
        let payload = plan.payload(e, .opened, id: id)
        #expect(payload == String(EventRendering.json(e).dropLast()) + ",\"change\":\"opened\",\"id\":\"outage-KP-ipv4-1401494400-opened\"}")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
        #expect(object["summary"] as? String == "KP: \"quoted\"" && object["change"] as? String == "opened")
    }

    @Test func backoffDoublesToItsMaximum() {
        let b = Backoff()
        #expect((1...11).map { b.delay(afterAttempts: $0) } == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600])
        #expect(Backoff(first: 0.2, maximum: 72).delay(afterAttempts: 3) == 0.8)
    }

    @Test func answersDecideRetryOrRefusal() {
        #expect(DeliveryOutcome.of(status: 200) == .delivered(status: 200))
        #expect(DeliveryOutcome.of(status: 204) == .delivered(status: 204))
        #expect(DeliveryOutcome.of(status: 429) == .retry(reason: "HTTP 429"))
        #expect(DeliveryOutcome.of(status: 503, body: "down\nfor maintenance") == .retry(reason: "HTTP 503: down for maintenance"))
        #expect(DeliveryOutcome.of(status: 404) == .refused(reason: "HTTP 404"))
        #expect(DeliveryOutcome.of(status: 400) == .refused(reason: "HTTP 400"))
        #expect(DeliveryOutcome.of(status: 301) == .refused(reason: "HTTP 301"))
    }

    @Test func webhookURLsAreChecked() {
        #expect(WebhookURL.problem("https://alerts.example.net/blackout") == nil)
        #expect(WebhookURL.problem("http://127.0.0.1:8080/hook") == nil)
        #expect(WebhookURL.problem("ftp://example.net/") == "'ftp://example.net/' is not an http:// or https:// URL")
        #expect(WebhookURL.problem("http:///path") == "'http:///path' has no host")
        #expect(WebhookURL.problem("http://:80/") == "'http://:80/' has no host")
    }

    @Test func configurationFile() throws {
        let dir = try IngestCommandTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("config.json").path
        func write(_ text: String) throws { try text.write(toFile: path, atomically: true, encoding: .utf8) }
        try write(#"{"webhooks": ["http://127.0.0.1:9/a", "https://example.net/b"], "api_token": "t0ken"}"#)
        #expect(try BlackoutConfiguration.load(path: path)
                == BlackoutConfiguration(webhooks: ["http://127.0.0.1:9/a", "https://example.net/b"], apiToken: "t0ken"))
        try write("{}")
        #expect(try BlackoutConfiguration.load(path: path) == BlackoutConfiguration())
        func failure(_ text: String) throws -> String {
            try write(text)
            do { _ = try BlackoutConfiguration.load(path: path) } catch { return "\(error)" }
            return "no error"
        }
        #expect(try failure(#"{"webhook": ["http://x/"]}"#) == "\(path): unknown key 'webhook' (known: webhooks, api_token)")
        #expect(try failure(#"{"webhooks": "http://x/"}"#) == "\(path): webhooks: expected an array of URL strings")
        #expect(try failure(#"{"api_token": 5}"#) == "\(path): api_token: expected a string")
        #expect(try failure("[1]").hasPrefix("\(path): not a JSON object"))
        #expect(try failure("{").hasPrefix("\(path): not JSON"))
        let missing = dir.appendingPathComponent("none.json").path
        #expect(throws: ConfigurationError.self) { try BlackoutConfiguration.load(path: missing) }

        // Through the command line: the file's webhooks, a bad file named.
        try write(#"{"webhooks": ["gopher://x/"]}"#)
        let r = try CLI.run(["ingest", "--db", dir.appendingPathComponent("c.sqlite").path, "--registry", IngestCommandTests.registry,
                             "--config", path, missing])
        #expect(r.status == 1 && r.stderr.contains("\(path): webhooks: 'gopher://x/' is not an http:// or https:// URL"), "\(r.stderr)")
        let flag = try CLI.run(["ingest", "--registry", IngestCommandTests.registry, "--webhook", "localhost:80", missing])
        #expect(flag.status == 64 && flag.stderr.contains("--webhook: 'localhost:80' is not an http:// or https:// URL"), "\(flag.stderr)")
    }
}

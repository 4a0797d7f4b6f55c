import Collectors
import Foundation
import MRT
import Outages
import Pipeline
import Registry
import ScenarioSupport
import Store
import Testing
import TestSupport

/// `blackout live` end to end, against a local RIS Live server (`Tests/Servers/ris_live_server.py`,
/// Python's `websockets`) on 127.0.0.1: a generated stream whose times follow a RIB dump written
/// for three peers of rrc21 (KP's four prefixes withdrawn by all of them at 00:00:20 and
/// announced again at 01:00:20 on 2014-05-31), and RIPE's recorded sample. Every wait has a
/// deadline; the processes are killed by their ids when a test ends.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"), .serialized)
struct LiveCommandTests {
    static let registry = TestData.path("registry")
    static let t0 = BaseTable.jinxTime  // 2014-05-30 22:00 UTC
    static let kp = (176...179).map { Prefix("175.45.\($0).0/24")! }
    static let peers = ScenarioPeer.synthetic(collector: "rrc21", count: 3, firstASN: 64500, firstAddress: IPAddress("203.0.113.1")!)

    /// KP's prefixes and a sample of the jinx table; the RIB dumps of rrc21 at 22:00, 23:10 and
    /// (KP withdrawn at 00:00:20) at 00:35.
    struct Fixture: @unchecked Sendable {
        let base: BaseTable
        let filler: Prefix
        let ribAt0: String
        let ribAt70: String
        let ribAt35: String
        let directory: URL
    }

    static let fixture: Result<Fixture, Error> = Result {
        let base = try BaseTable.load(keepingRanges: [Prefix("175.45.176.0/22")!], sampleOneIn: 100)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-live-\(UUID().uuidString)")
        let w = try ScenarioWriter(base: base, peers: peers, start: t0, end: t0 + 9600, directory: dir.path)
        w.writeRIB(time: t0, collector: "rrc21")
        w.writeRIB(time: t0 + 4200, collector: "rrc21")
        w.withdraw(kp, at: t0 + 7220)
        w.writeRIB(time: t0 + 9300, collector: "rrc21")
        let ribs = try w.finish().filter { $0.kind == .rib }.sorted { $0.start < $1.start }
        let filler = base.prefixes.first { !$0.isV6 && !kp.contains($0) }!
        return Fixture(base: base, filler: filler, ribAt0: ribs[0].path, ribAt70: ribs[1].path, ribAt35: ribs[2].path, directory: dir)
    }

    // MARK: The streams

    /// One RIS Live UPDATE of `peer`, host written both ways RIS Live writes it.
    static func update(_ t: UInt32, _ peer: ScenarioPeer, announce: [Prefix] = [], path: [UInt32] = [], withdraw: [Prefix] = []) -> String {
        let host = t % 2 == 0 ? "rrc21" : "rrc21.ripe.net"
        let asn = t % 3 == 0 ? "\(peer.asn)" : "\"\(peer.asn)\""
        var data = "\"timestamp\":\(t).25,\"peer\":\"\(peer.address)\",\"peer_asn\":\(asn),\"id\":\"x-\(t)\",\"host\":\"\(host)\",\"type\":\"UPDATE\""
        if !announce.isEmpty {
            data += ",\"path\":[\(([peer.asn] + path).map(String.init).joined(separator: ","))],\"origin\":\"igp\","
                + "\"announcements\":[{\"next_hop\":\"\(peer.address)\",\"prefixes\":[\(announce.map { "\"\($0)\"" }.joined(separator: ","))]}]"
        }
        data += ",\"withdrawals\":[\(withdraw.map { "\"\($0)\"" }.joined(separator: ","))]"
        return "{\"type\":\"ris_message\",\"data\":{\(data)}}"
    }

    /// Each minute every peer announces the filler prefix again (so bins carry updates);
    /// at `kpDown` and `kpUp` (minutes after 22:00, plus 20 s) every peer withdraws and
    /// announces KP's prefixes; `extra` adds lines after a minute's.
    static func stream(_ f: Fixture, minutes: ClosedRange<UInt32>, kpDown: UInt32? = nil, kpUp: UInt32? = nil,
                       extra: [UInt32: [String]] = [:]) -> [String] {
        let fillerPath = f.base.path(for: f.filler)!, kpPath = f.base.path(for: kp[0])!
        var lines: [String] = []
        for m in minutes {
            let t = t0 + m * 60
            for (i, p) in peers.enumerated() { lines.append(update(t + UInt32(i), p, announce: [f.filler], path: fillerPath)) }
            if m == kpDown { for p in peers { lines.append(update(t + 20, p, withdraw: kp)) } }
            if m == kpUp { for p in peers { lines.append(update(t + 20, p, announce: kp, path: kpPath)) } }
            lines += extra[m] ?? []
        }
        return lines
    }

    static func write(_ lines: [String], in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("stream-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-live-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The newer RIB dumps looked for while the stream runs are asked of a port where nothing
    /// listens (the look fails, is reported and asked again later), into a cache beside the
    /// database: never RIS's archive nor the home cache. Tests of the looks give their own
    /// --ris-url and --dest after these (the last one given wins).
    static func liveArguments(db: String, server: LiveServer, ribs: [String], collectors: String = "rrc21") -> [String] {
        let cache = URL(fileURLWithPath: db).deletingLastPathComponent().appendingPathComponent("cache").path
        return ["live", "--db", db, "--registry", registry, "--collector", collectors, "--url", server.url,
                "--checkpoint-bins", "1", "--ping-interval", "1s", "--silence-timeout", "20s", "--maximum-backoff", "1s",
                "--ris-url", "http://127.0.0.1:9", "--dest", cache, "--attempts", "1", "--rib"] + ribs
    }

    /// Waits (60 s at most) until `condition` holds.
    static func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return false
    }

    static func kpBins(_ db: String) throws -> [SeriesBin] {
        try StoreLocation.open(db).bins(SeriesID(.country(CountryCode("KP")!)), from: t0, to: nil)
    }

    static func describe(_ bins: [SeriesBin]) -> String {
        "\(bins.map { "\(utcMinute($0.time)) \($0.fullFeedPeers) \($0.visiblePrefixes)" })"
    }

    static func outages(_ db: String, _ cc: String = "KP") throws -> [Event] {
        try StoreLocation.open(db).events(EventQuery(country: CountryCode(cc)!, kind: .outage)).filter { $0.asn == nil }
    }

    // MARK: Tests

    /// A real outage opens and closes and is printed as it does; pings are sent and
    /// answered (the server drops a client that does not answer its pings within 1 s);
    /// malformed messages are counted and reported and change nothing else.
    @Test(.timeLimit(.minutes(5))) func outageOpensAndClosesAndMalformedMessagesAreReported() throws {
        let f = try Self.fixture.get()
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let odd = [
            #"{"type":"ris_message","data":{"timestamp":1401489000,"peer":"203.0.113.1","peer_asn":"64500","host":"rrc21","type":"UPD"#,
            #"{"type":"ris_message","data":{"timestamp":1401489001,"peer":"203.0.113.1","peer_asn":"64500","host":"rrc21","type":"UPDATE","path":[64500],"announcements":[{"next_hop":"203.0.113.1","prefixes":["10.0.0.0/33"]}]}}"#,
            #"{"type":"ris_message","data":{"timestamp":1401489002,"peer":"203.0.113.1","peer_asn":"64500","host":"rrc21","type":"KEEPALIVE"}}"#,
            #"{"type":"ris_message","data":{"timestamp":1401489003,"peer":"198.51.100.77","peer_asn":"64999","host":"rrc21","type":"RIS_PEER_STATE","state":"down"}}"#,
            #"{"type":"ris_error","data":{"message":"slow consumer"}}"#,
            "\u{1}garbage",
        ]
        let stream = try Self.write(Self.stream(f, minutes: 1...240, kpDown: 120, kpUp: 180, extra: [30: odd]) + ["#!end"], in: dir)
        let server = try LiveServer(stream: stream, subscriptions: 2, pingInterval: 1)
        defer { server.stop() }
        let db = dir.appendingPathComponent("live.sqlite").path
        let run = try LiveRun(Self.liveArguments(db: db, server: server, ribs: [f.ribAt0]))
        defer { run.kill() }
        #expect(run.wait(for: "KP: complete outage 2014-05-31 00:00 to 2014-05-31 01:00 UTC", in: .stdout))
        #expect(run.wait(for: "checkpoint: state at 2014-05-31 02:00 UTC", in: .stderr))
        #expect(server.wait { $0.contains(#""received": "{\"type\":\"ping\"}""#) })
        let status = run.interrupt()
        let out = run.text(.stdout), err = run.text(.stderr)
        #expect(status == 3, "malformed messages: exit 3 once stopped; stderr: \(err)")
        let lines = out.split(separator: "\n").map(String.init)
        // Opened, then closed, one line each, for the country and its origin AS.
        let kpLines = lines.filter { $0.hasPrefix("KP: ") }
        #expect(kpLines.count == 2)
        #expect(kpLines.first?.hasPrefix("KP: complete outage since 2014-05-31 00:00 UTC (ongoing") == true)
        #expect(kpLines.last?.hasPrefix("KP: complete outage 2014-05-31 00:00 to 2014-05-31 01:00 UTC (1h0m): 4 of 4 prefixes of AS131279 withdrawn") == true)
        #expect(lines.filter { $0.hasPrefix("AS131279 (KP): complete outage") }.count == 2)
        #expect(lines.count == 4, "only KP's events: \(out)")
        // Three malformed messages, each reported with why; the stream went on.
        #expect(err.contains("malformed message 1: not JSON: {\"type\":\"ris_message\",\"data\":{\"timestamp\":1401489000"))
        #expect(err.contains("malformed message 2: invalid data.announcements[0].prefixes[0]: \"10.0.0.0/33\""))
        #expect(err.contains("malformed message 3: not JSON"))
        #expect(err.contains("RIS Live error: slow consumer"))
        #expect(err.contains("3 malformed"))
        #expect(!err.contains("disconnected"), "pings answered, no reconnection: \(err)")
        // Subscribed to rrc21's updates and peer states, once.
        let received = server.received()
        #expect(received.filter { $0.contains("ris_subscribe") }
                == [#"{"type":"ris_subscribe","data":{"host":"rrc21","type":"UPDATE"}}"#,
                    #"{"type":"ris_subscribe","data":{"host":"rrc21","type":"RIS_PEER_STATE"}}"#])
        // Stored: the closed outage, and the state at 02:00.
        let events = try Self.outages(db)
        #expect(events.count == 1)
        #expect(events.first?.start == Self.t0 + 7200 && events.first?.end == Self.t0 + 10800)
        #expect(try SQLiteStore(path: db).checkpoint()?.time == Self.t0 + 240 * 60 + 2)
    }

    /// Without --rib, the collector's latest dump is fetched from RIS's archive (here the local
    /// archive server: rrc21's 16:00 bview, the newest at or before --now 22:05) and the stream
    /// applied after it: the same outage, to the bin. (rrc21 began in 2016: the catalog refuses
    /// it for 2014, so the fixture's 2014 dump is served under a 2016 name, and `--now` is then.)
    @Test(.timeLimit(.minutes(5))) func latestRIBIsFetchedFromTheArchive() throws {
        let f = try Self.fixture.get()
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let archive = dir.appendingPathComponent("archive/rrc21/2016.05")
        try FileManager.default.createDirectory(at: archive, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: f.ribAt0, toPath: archive.appendingPathComponent("bview.20160530.1600.gz").path)
        let files = try ArchiveServer(root: dir.appendingPathComponent("archive").path)
        defer { files.stop() }
        let stream = try Self.write(Self.stream(f, minutes: 1...200, kpDown: 120, kpUp: 180) + ["#!end"], in: dir)
        let server = try LiveServer(stream: stream, subscriptions: 2, pingInterval: 1)
        defer { server.stop() }
        let db = dir.appendingPathComponent("live.sqlite").path
        var args = Self.liveArguments(db: db, server: server, ribs: [])
        args.removeLast()  // --rib
        let run = try LiveRun(args + ["--ris-url", files.url, "--dest", dir.appendingPathComponent("cache").path, "--now", "2016-05-30T22:05Z"])
        defer { run.kill() }
        #expect(run.wait(for: "KP: complete outage 2014-05-31 00:00 to 2014-05-31 01:00 UTC", in: .stdout), "\(run.text(.stderr))")
        _ = run.interrupt()
        #expect(files.requests.contains { $0.hasPrefix("GET /rrc21/2016.05/bview.20160530.1600.gz - 200") }, "\(files.requests.prefix(3))")
        #expect(FileManager.default.contentsEqual(atPath: dir.appendingPathComponent("cache/rrc21/2016.05/bview.20160530.1600.gz").path,
                                                  andPath: f.ribAt0))
        let events = try Self.outages(db)
        #expect(events.count == 1 && events.first?.start == Self.t0 + 7200 && events.first?.end == Self.t0 + 10800)
    }

    /// The connection drops just after KP's prefixes are withdrawn, and their announcement a
    /// minute later is lost: the client reconnects and resubscribes, rrc21's peers become a
    /// gap from then on, and no outage is reported (with their tables trusted, KP would look
    /// withdrawn for good).
    @Test(.timeLimit(.minutes(5))) func droppedConnectionIsAGapNotAnOutage() throws {
        let f = try Self.fixture.get()
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = Self.stream(f, minutes: 1...120, kpDown: 120) + ["#!drop"]
            + Self.stream(f, minutes: 121...125, kpUp: 121) + ["#!resume"] + Self.stream(f, minutes: 126...240) + ["#!end"]
        let server = try LiveServer(stream: try Self.write(lines, in: dir), subscriptions: 2, pingInterval: 5)
        defer { server.stop() }
        let db = dir.appendingPathComponent("live.sqlite").path
        let run = try LiveRun(Self.liveArguments(db: db, server: server, ribs: [f.ribAt0]))
        defer { run.kill() }
        #expect(run.wait(for: "checkpoint: state at 2014-05-31 02:00 UTC", in: .stderr))
        let status = run.interrupt()
        let err = run.text(.stderr)
        #expect(status == 0, "\(err)")
        #expect(err.contains("disconnected: ws://127.0.0.1:"))
        #expect(err.contains("reconnected to ws://127.0.0.1:"))
        #expect(err.contains("gap: rrc21 (3 peers) from 2014-05-31 00:00 UTC: messages lost while disconnected"))
        #expect(!run.text(.stdout).contains("outage"), "\(run.text(.stdout))")
        #expect(try Self.outages(db).isEmpty)
        // Resubscribed on the second connection.
        let log = server.log()
        #expect(log.filter { $0.contains("\"event\": \"open\"") }.count == 2)
        #expect(log.filter { $0.contains("ris_subscribe") && $0.contains("\"connection\": 2") }.count == 2)
        // KP's bins: counted until the drop, a gap (no full-feed peer) after it.
        let bins = try SQLiteStore(path: db).bins(SeriesID(.country(CountryCode("KP")!)), from: Self.t0 + 3600, to: nil)
        #expect(bins.filter { $0.time < Self.t0 + 7200 }.allSatisfy { $0.fullFeedPeers == 3 && $0.visiblePrefixes == 4 })
        let after = bins.filter { $0.time >= Self.t0 + 7200 }
        #expect(after.count == 24 && after.allSatisfy(\.isGap), "\(bins.map { "\(utcMinute($0.time)) \($0.fullFeedPeers) \($0.visiblePrefixes)" })")
    }

    /// The connection drops at 23:00 (minutes 61 to 65 lost) and rrc21's peers become a gap.
    /// While the stream pauses at 23:15, rrc21's 23:10 dump appears in the archive (served under
    /// a 2016 name, as above; before that it was asked for and missing): it is applied at the
    /// stream's time to the three peers out of sync, they count again, a checkpoint follows, and
    /// KP's withdrawal by every peer at 00:00:20 is then the outage, to the bin.
    @Test(.timeLimit(.minutes(5))) func newerRIBInTheArchiveEndsAGap() throws {
        let f = try Self.fixture.get()
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let month = dir.appendingPathComponent("archive/rrc21/2016.05")
        try FileManager.default.createDirectory(at: month, withIntermediateDirectories: true)
        let files = try ArchiveServer(root: dir.appendingPathComponent("archive").path)
        defer { files.stop() }
        let lines = Self.stream(f, minutes: 1...60) + ["#!drop"] + Self.stream(f, minutes: 61...65) + ["#!resume"]
            + Self.stream(f, minutes: 66...75) + ["#!sleep 30"] + Self.stream(f, minutes: 76...240, kpDown: 120, kpUp: 180) + ["#!end"]
        let server = try LiveServer(stream: try Self.write(lines, in: dir), subscriptions: 2, pingInterval: 5)
        defer { server.stop() }
        let db = dir.appendingPathComponent("live.sqlite").path
        let run = try LiveRun(Self.liveArguments(db: db, server: server, ribs: [f.ribAt0])
            + ["--ris-url", files.url, "--dest", dir.appendingPathComponent("cache").path, "--now", "2016-05-31T00:05Z", "--rib-poll", "1s",
               "--silence-timeout", "90s"])  // the stream pauses for 30 s
        defer { run.kill() }
        #expect(run.wait(for: "gap: rrc21 (3 peers) from 2014-05-30 23:00 UTC: messages lost while disconnected", in: .stderr))
        // Not published yet: asked for, missing, asked again later.
        let name = "bview.20160531.0000.gz"
        #expect(Self.waitUntil { files.requests.contains { $0.hasPrefix("GET /rrc21/2016.05/\(name) - 404") } }, "\(files.requests.suffix(5))")
        let part = month.appendingPathComponent("incoming.part").path
        try FileManager.default.copyItem(atPath: f.ribAt70, toPath: part)
        try FileManager.default.moveItem(atPath: part, toPath: month.appendingPathComponent(name).path)
        #expect(run.wait(for: "rib: rrc21 \(name) applied: 3 peers count again (dump of 2014-05-30 23:10 UTC, applied at 2014-05-30 23:1",
                         in: .stderr), "\(run.text(.stderr))")
        #expect(run.wait(for: "KP: complete outage 2014-05-31 00:00 to 2014-05-31 01:00 UTC", in: .stdout), "\(run.text(.stderr))")
        #expect(run.wait(for: "checkpoint: state at 2014-05-31 02:00 UTC", in: .stderr))
        #expect(run.interrupt() == 0)
        let err = run.text(.stderr)
        #expect(files.requests.contains { $0.hasPrefix("GET /rrc21/2016.05/\(name) - 200") })
        // A checkpoint right after it.
        let after = err.components(separatedBy: "rib: rrc21 ").last?.split(separator: "\n").dropFirst().first ?? ""
        #expect(after.hasPrefix("blackout: checkpoint: state at 2014-05-30 23:1"), "\(err)")
        // KP: counted until the drop, a gap until the dump, counted again (3 full-feed peers, 4
        // prefixes) until the outage.
        let bins = try Self.kpBins(db)
        let gap = bins.filter { $0.time >= Self.t0 + 3600 && $0.time < Self.t0 + 4200 }
        #expect(gap.count == 2 && gap.allSatisfy { $0.isGap }, "\(Self.describe(bins))")
        let back = bins.filter { $0.time >= Self.t0 + 4500 && $0.time < Self.t0 + 7200 }
        #expect(back.count == 9 && back.allSatisfy { $0.fullFeedPeers == 3 && $0.visiblePrefixes == 4 }, "\(Self.describe(bins))")
        let events = try Self.outages(db)
        #expect(events.count == 1 && events.first?.start == Self.t0 + 7200 && events.first?.end == Self.t0 + 10800, "\(events)")
    }

    /// One peer's session goes down at 23:00:30 (the other two stay in sync); rrc21's 00:35 dump,
    /// which lists none of KP's prefixes (withdrawn at 00:00:20 in the dump's world, never in the
    /// stream's), is in the archive from the start: it waits for the stream to reach 00:35, then
    /// brings back the peer that was down, and only it. The two peers in sync keep KP's routes
    /// as the stream gave them: no outage, KP visible throughout.
    @Test(.timeLimit(.minutes(5))) func newerRIBLeavesPeersInSyncAlone() throws {
        let f = try Self.fixture.get()
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let month = dir.appendingPathComponent("archive/rrc21/2016.05")
        try FileManager.default.createDirectory(at: month, withIntermediateDirectories: true)
        let name = "bview.20160531.0000.gz"
        try FileManager.default.copyItem(atPath: f.ribAt35, toPath: month.appendingPathComponent(name).path)
        let files = try ArchiveServer(root: dir.appendingPathComponent("archive").path)
        defer { files.stop() }
        let p = Self.peers[0]
        let down = #"{"type":"ris_message","data":{"timestamp":\#(Self.t0 + 3630),"peer":"\#(p.address)","peer_asn":\#(p.asn),"host":"rrc21","type":"RIS_PEER_STATE","state":"down"}}"#
        let lines = Self.stream(f, minutes: 1...160, extra: [60: [down]]) + ["#!sleep 30"] + Self.stream(f, minutes: 161...240) + ["#!end"]
        let server = try LiveServer(stream: try Self.write(lines, in: dir), subscriptions: 2, pingInterval: 5)
        defer { server.stop() }
        let db = dir.appendingPathComponent("live.sqlite").path
        let run = try LiveRun(Self.liveArguments(db: db, server: server, ribs: [f.ribAt0])
            + ["--ris-url", files.url, "--dest", dir.appendingPathComponent("cache").path, "--now", "2016-05-31T00:05Z", "--rib-poll", "1s",
               "--silence-timeout", "90s"])  // the stream pauses for 30 s
        defer { run.kill() }
        #expect(run.wait(for: "rib: rrc21 \(name) applied: 1 peer counts again (dump of 2014-05-31 00:35 UTC, applied at 2014-05-31 00:", in: .stderr),
                "\(run.text(.stderr))")
        #expect(run.wait(for: "checkpoint: state at 2014-05-31 02:00 UTC", in: .stderr))
        #expect(run.interrupt() == 0)
        #expect(!run.text(.stdout).contains("outage"), "\(run.text(.stdout))")
        #expect(try Self.outages(db).isEmpty)
        #expect(run.text(.stderr).components(separatedBy: "rib: rrc21").count == 2, "applied once: \(run.text(.stderr))")
        // KP visible throughout; 2 full-feed peers while one was down, 3 from the dump on.
        let bins = try Self.kpBins(db).filter { $0.time >= Self.t0 + 3600 }
        #expect(bins.count == 12 * 3 && bins.allSatisfy { $0.visiblePrefixes == 4 && !$0.isGap }, "\(Self.describe(bins))")
        #expect(bins.filter { $0.time >= Self.t0 + 3600 && $0.time < Self.t0 + 9300 }.allSatisfy { $0.fullFeedPeers == 2 }, "\(Self.describe(bins))")
        #expect(bins.filter { $0.time >= Self.t0 + 9600 }.allSatisfy { $0.fullFeedPeers == 3 }, "\(Self.describe(bins))")
    }

    /// Stopped with SIGTERM while KP's outage is open, restarted with rrc21's next RIB dump:
    /// the outage opened by the first run is closed by the second (same start, one event),
    /// in a SQLite file and in PostgreSQL (`live --db postgres://…`).
    @Test(.timeLimit(.minutes(5)), arguments: StoreKind.allCases)
    func restartResumesFromTheCheckpoint(store kind: StoreKind) throws {
        let f = try Self.fixture.get()
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (db, remove) = try kind.location("live")
        defer { remove() }
        do {
            let server = try LiveServer(stream: try Self.write(Self.stream(f, minutes: 1...150, kpDown: 120) + ["#!end"], in: dir),
                                        subscriptions: 2, pingInterval: 5)
            defer { server.stop() }
            let run = try LiveRun(Self.liveArguments(db: db, server: server, ribs: [f.ribAt0]))
            defer { run.kill() }
            #expect(run.wait(for: "KP: complete outage since 2014-05-31 00:00 UTC (ongoing", in: .stdout))
            #expect(run.wait(for: "checkpoint: state at 2014-05-31 00:30 UTC", in: .stderr))
            #expect(run.interrupt(signal: SIGTERM) == 0)
            #expect(try Self.outages(db).first?.end == nil)
        }
        let server = try LiveServer(stream: try Self.write(Self.stream(f, minutes: 156...240, kpUp: 180) + ["#!end"], in: dir),
                                    subscriptions: 2, pingInterval: 5)
        defer { server.stop() }
        let run = try LiveRun(Self.liveArguments(db: db, server: server, ribs: [f.ribAt0, f.ribAt35]))
        defer { run.kill() }
        #expect(run.wait(for: "KP: complete outage 2014-05-31 00:00 to 2014-05-31 01:00 UTC", in: .stdout))
        #expect(run.wait(for: "checkpoint: state at 2014-05-31 02:00 UTC", in: .stderr))
        #expect(run.interrupt() == 0)
        let err = run.text(.stderr)
        #expect(err.contains("state restored"))
        #expect(err.contains("gap: rrc21 (3 peers) from 2014-05-31 00:30 UTC: not followed while stopped"))
        #expect(err.contains("\(f.ribAt0): already ingested; skipped"))
        #expect(err.contains("replayed 1 file"))
        #expect(!run.text(.stdout).contains("since 2014-05-31 00:00 UTC (ongoing"), "not reported open twice")
        let events = try Self.outages(db)
        #expect(events.count == 1)
        #expect(events.first?.start == Self.t0 + 7200 && events.first?.end == Self.t0 + 10800)
    }

    /// RIPE's recorded sample: an UPDATE, a peer going down, ris_error, OPEN, NOTIFICATION,
    /// KEEPALIVE and a line cut short, read without a crash.
    @Test(.timeLimit(.minutes(5))) func recordedStreamIsRead() throws {
        let f = try Self.fixture.get()
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sample = try String(contentsOfFile: TestData.path("mrt/ris/ris-live-stream.json"), encoding: .utf8)
        let server = try LiveServer(stream: try Self.write([sample.trimmingCharacters(in: .newlines), "#!end"], in: dir),
                                    subscriptions: 6, pingInterval: 5)
        defer { server.stop() }
        let db = dir.appendingPathComponent("live.sqlite").path
        let run = try LiveRun(Self.liveArguments(db: db, server: server, ribs: [f.ribAt0], collectors: "rrc00,rrc01,rrc03"))
        defer { run.kill() }
        #expect(run.wait(for: "malformed message 1: not JSON: {\"type\": \"ris_message\", \"data\": {\"timestamp\": 1553625034.06", in: .stderr))
        #expect(run.interrupt() == 3)
        let err = run.text(.stderr)
        #expect(err.contains("RIS Live error: this is a test error message"))
        #expect(err.contains("live: 7 messages (1 malformed), 2 elements"))
        #expect(run.text(.stdout).isEmpty)
    }

    /// The client restarts a connection that stays silent, reports the gap, resubscribes.
    @Test(.timeLimit(.minutes(2))) func silentConnectionIsRestarted() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try String(contentsOfFile: TestData.path("mrt/ris/ris-live-stream.json"), encoding: .utf8)
            .split(separator: "\n")[0]
        let server = try LiveServer(stream: try Self.write([String(first), "#!silence", String(first), "#!end"], in: dir),
                                    subscriptions: 2, pingInterval: 5)
        defer { server.stop() }
        var c = RISLiveConfiguration(url: server.url, collectors: ["rrc00"])
        c.silenceTimeout = .seconds(2)
        c.pingInterval = .milliseconds(500)
        c.initialBackoff = .milliseconds(100)
        let client = RISLiveClient(configuration: c)
        // The events until six have come, or 30 s.
        let collecting = Task { () -> [String] in
            var seen: [String] = []
            for await event in client.events() {
                switch event {
                case .connected(let n): seen.append("connected \(n)")
                case .message(let m): seen.append("message \(m.collector ?? "-")")
                case .malformed(_, let r): seen.append("malformed \(r)")
                case .disconnected(let reason, let wait):
                    if case .silent = reason { seen.append("silent, retry in \(wait)") } else { seen.append("disconnected \(reason)") }
                case .gap(let collectors): seen.append("gap \(collectors)")
                }
                if seen.count >= 6 { break }
            }
            return seen
        }
        let timer = Task {
            try await Task.sleep(for: .seconds(30))
            collecting.cancel()
        }
        let seen = await collecting.value
        timer.cancel()
        #expect(seen == ["connected 1", "message rrc00", "silent, retry in 0.1 seconds", "gap [\"rrc00\"]", "connected 2", "message rrc00"])
        // A ping each half second while silent, no pong counted as speech.
        #expect(server.received().filter { $0 == RISLiveConfiguration.ping }.count >= 3)
    }
}

/// The local RIS Live server (`Tests/Servers/ris_live_server.py`) on 127.0.0.1, started on a
/// free port; it logs what it receives to a file.
final class LiveServer: @unchecked Sendable {
    let process = Process()
    let port: Int
    let logPath: String
    var url: String { "ws://127.0.0.1:\(port)/v1/ws/?client=blackout" }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Servers/ris_live_server.py").path

    init(stream: String, subscriptions: Int, pingInterval: Double) throws {
        logPath = stream + ".log"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "--stream", stream, "--log", logPath,
                             "--subscriptions", "\(subscriptions)", "--ping-interval", "\(pingInterval)"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        // The first line is "PORT <n>"; a server that does not start in 20 s fails the test.
        let first = LockedText()
        let ready = DispatchSemaphore(value: 0)
        out.fileHandleForReading.readabilityHandler = { h in
            let data = h.availableData
            if data.isEmpty { h.readabilityHandler = nil; ready.signal(); return }
            first.append(data)
            if first.value.contains("\n") { h.readabilityHandler = nil; ready.signal() }
        }
        _ = ready.wait(timeout: .now() + 20)
        guard let line = first.value.split(separator: "\n").first, line.hasPrefix("PORT "), let p = Int(line.dropFirst(5)) else {
            process.terminate()
            throw LiveTestError("ris_live_server.py did not start (is `websockets` installed? pip install websockets): \(first.value)")
        }
        port = p
    }

    func log() -> [String] {
        ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The client's messages, in order.
    func received() -> [String] {
        log().compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return o["received"] as? String
        }
    }

    /// Waits (20 s at most) until the log satisfies `condition`.
    func wait(_ condition: (String) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if log().contains(where: condition) { return true }
            usleep(100_000)
        }
        return false
    }

    /// SIGTERM, then SIGKILL after 5 s.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// A running `blackout live`, its output gathered as it comes.
final class LiveRun: @unchecked Sendable {
    enum Stream { case stdout, stderr }
    let process = Process()
    private let out = LockedText(), err = LockedText()

    init(_ arguments: [String]) throws {
        process.executableURL = CLI.executable
        process.arguments = arguments
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        for (pipe, text) in [(o, out), (e, err)] {
            pipe.fileHandleForReading.readabilityHandler = { h in
                let data = h.availableData
                if data.isEmpty { h.readabilityHandler = nil } else { text.append(data) }
            }
        }
        try process.run()
    }

    func text(_ s: Stream) -> String { s == .stdout ? out.value : err.value }

    /// Waits (120 s at most, or until the process ends) until `needle` appears.
    func wait(for needle: String, in s: Stream) -> Bool {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if text(s).contains(needle) { return true }
            if !process.isRunning { usleep(200_000); return text(s).contains(needle) }
            usleep(50_000)
        }
        return false
    }

    /// Sends `signal` and waits (60 s at most) for the exit status; -1 when it had to be killed.
    func interrupt(signal: Int32 = SIGINT) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        Foundation.kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(); return -1 }
        usleep(200_000)  // the last output
        return process.terminationStatus
    }

    func kill() {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

final class LockedText: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ d: Data) { lock.withLock { data.append(d) } }
    var value: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

struct LiveTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

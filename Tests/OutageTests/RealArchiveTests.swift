import Foundation
import MRT
import MRTArchive
import Outages
import Pipeline
import Registry
import Routing
import Store
import Testing
import TestSupport

enum Jinx {
    static let rib = TestData.path("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2")
    static let updates = TestData.path("mrt/routeviews/routeviews.route-views.jinx.updates.1401493500.bz2")
    static let rrc06 = TestData.path("mrt/ris/ris.rrc06.updates.1401488100.gz")
    static let registry = TestData.path("registry")
    static let t0: UInt32 = 1_401_487_200  // 2014-05-30 22:00 UTC, the RIB's time

    static func monitor(_ options: DetectorOptions = DetectorOptions()) -> Monitor {
        Monitor(options: options) { time in try RegistryDatabase.load(directory: registry, near: time) }
    }

    /// Replays files into a monitor, RIB ends included.
    static func replay(_ paths: [String], into m: Monitor) throws {
        let r = Replay(paths.map { ReplayInput(path: $0) })
        try m.replay(r)
        for report in r.reports { #expect(report.error == nil, "\(report.path): \(report.error ?? "")") }
    }

    /// A fresh database path in a temporary directory (removed by the caller).
    static func tempDatabase() throws -> (dir: URL, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return (dir, dir.appendingPathComponent("db.sqlite").path)
    }
}

/// The real archives in ../shared/data: normal routing, where the monitor must raise
/// nothing but what the updates show.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct RealArchiveTests {
    /// The jinx RIB, its collector's updates and RIS rrc06's: no country event; one origin
    /// AS event, AS33785 (EG), whose 17 prefixes the jinx updates withdraw at 23:53:42 after
    /// a minute of path hunting, checked against the updates themselves.
    @Test func jinxAndRRC06RaiseOnlyAS33785() throws {
        let m = Jinx.monitor()
        try Jinx.replay([Jinx.updates, Jinx.rib, Jinx.rrc06], into: m)
        let (bins, events) = m.takeResults()
        #expect(events.filter { $0.asn == nil }.isEmpty, "\(events.map(\.summary))")
        #expect(events.map(\.summary) == [
            "AS33785 (EG): complete outage since 2014-05-30 23:50 UTC (ongoing, 5m): 17 of 17 prefixes withdrawn; sole provider AS3491",
        ])
        let e = try #require(events.first)
        #expect(e.kind == .outage && e.severity == .complete && e.family == .ipv4 && e.end == nil)
        #expect(e.start == Jinx.t0 + 6600 && e.fractionLost == 1 && e.baseline == 17)
        #expect(e.peers == ["AS30844 196.223.14.55 (route-views.jinx)"] && e.collectors == ["route-views.jinx"])

        // The updates behind it: the prefixes whose last announcement by AS30844 ends in
        // AS33785 and that it withdrew and did not announce again, none of them carried by
        // another peer of the RIB.
        var withdrawn: [Prefix: UInt32] = [:]
        var announced: Set<Prefix> = []
        let stream = ElementStream(reader: MRTReader(source: try Input.open(Jinx.updates).source, name: Jinx.updates))
        var buffer: [UInt32] = []
        try stream.forEach { el in
            guard el.peerASN == 30844 else { return }
            if el.kind == .announce {
                _ = el.attributes.flattenedPath(into: &buffer)
                if buffer.last == 33785 { announced.insert(el.prefix); withdrawn[el.prefix] = nil }
            } else if el.kind == .withdraw, announced.contains(el.prefix) {
                withdrawn[el.prefix] = el.timestamp
            }
        }
        #expect(Set(e.prefixesLost) == Set(withdrawn.keys) && withdrawn.count == 17)
        #expect(withdrawn.values.allSatisfy { $0 == Jinx.t0 + 6822 })  // 23:53:42
        let asn = bins.filter { $0.series == SeriesID(.asn(33785)) }.map(\.bin)
        #expect(asn.first { $0.time == Jinx.t0 + 6600 }?.withdrawals == 17)
        #expect(asn.last { $0.time < Jinx.t0 + 6600 }?.visiblePrefixes == 17)

        // Bins 22:00 to 23:50 are closed (23:55 stays open for the next ingest). The countries
        // hold their census figures: KP 4 in every bin, the US 104,493 give or take a few.
        let kp = bins.filter { $0.series == SeriesID(.country(CountryCode("KP")!)) }.map(\.bin)
        #expect(kp.count == 23 && kp.allSatisfy { $0.visiblePrefixes == 4 && $0.fullFeedPeers == 1 })
        let us = bins.filter { $0.series == SeriesID(.country(CountryCode("US")!)) }.map(\.bin)
        #expect(us.first?.visiblePrefixes == 104_493 && us.allSatisfy { abs($0.visiblePrefixes - 104_493) <= 20 })
        // IPv6 has its own series, over the peers full-feed for IPv6 (the two that carry the
        // RIB's 173 IPv6 routes; AS30844 carries none): ZA's 33 prefixes in every bin.
        let za6 = bins.filter { $0.series == SeriesID(.country(CountryCode("ZA")!), .ipv6) }.map(\.bin)
        #expect(za6.count == 23 && za6.allSatisfy { $0.visiblePrefixes == 33 && $0.fullFeedPeers == 2 }, "\(za6)")
    }

    /// route-views2's stream of 2013-01-01 (four parts, out of order) alone: no RIB sets
    /// the tables, so no peer counts, every bin is a gap, and nothing is claimed.
    @Test func updatesWithoutRIBClaimNothing() throws {
        let m = Jinx.monitor()
        try Jinx.replay([3, 1, 0, 2].map { TestData.path("mrt/routeviews/route-views2.updates.20130101.part\($0).mrt") }, into: m)
        let (bins, events) = m.takeResults()
        #expect(events.isEmpty, "\(events.map(\.summary))")
        let us = bins.filter { $0.series == SeriesID(.country(CountryCode("US")!)) }.map(\.bin)
        #expect(!us.isEmpty && us.allSatisfy { $0.isGap && $0.visiblePrefixes == 0 })
        #expect(us.reduce(0) { $0 + $1.announcements } > 1000)
        #expect(us.first?.time == 1_356_999_000 && zip(us, us.dropFirst()).allSatisfy { $1.time == $0.time + 300 })
    }

    /// The RIB in one ingest and the updates in the next give what one ingest of both gives:
    /// the state (tables, baselines, the open event) is restored from the database.
    @Test func resumingGivesTheSameDatabase() throws {
        func ingest(_ groups: [[String]]) throws -> String {
            let (dir, db) = try Jinx.tempDatabase()
            defer { try? FileManager.default.removeItem(at: dir) }
            for files in groups {
                let report = try IngestPipeline(store: try SQLiteStore(path: db), options: IngestOptions(registryDirectory: Jinx.registry))
                    .run(files: files)
                #expect(report.failed.isEmpty && report.skipped.isEmpty)
            }
            return try StoreContents.text(of: db)
        }
        let one = try ingest([[Jinx.rib, Jinx.updates, Jinx.rrc06]])
        let two = try ingest([[Jinx.rib], [Jinx.rrc06], [Jinx.updates]])
        #expect(one.contains("AS33785") && one.contains("ZA ipv6") && one.count > 10_000)
        #expect(one == two)
    }
}

/// Everything a database holds, as text, to compare two databases.
enum StoreContents {
    static func text(of path: String) throws -> String {
        let store = try SQLiteStore(path: path)
        var text = try store.files().map { "\($0.contentHash) \($0.collector) \($0.elements) \($0.damagedRecords)" }.sorted().joined(separator: "\n")
        text += try store.events(EventQuery()).map { "\($0.summary)\n  \($0)" }.joined(separator: "\n")
        let times = try store.binTimes(from: nil, to: nil)
        text += "\n\(times.count) bin times from \(times.first ?? 0) to \(times.last ?? 0)\n"
        for subject in ["KP", "US", "SY", "EG", "BR", "DE", "ZA", "IQ", "AS33785", "AS131279", "AS3356", "AS7018"] {
            for family in Family.allCases {
                text += try store.bins(SeriesID(SeriesSubject(subject)!, family), from: nil, to: nil).map { "\(subject) \(family) \($0)\n" }.joined()
            }
        }
        return text
    }
}

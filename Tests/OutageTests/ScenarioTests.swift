import Foundation
import MRT
import MRTArchive
import Outages
import Registry
import Routing
import Testing
import TestSupport

enum Jinx {
    static let rib = TestData.path("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2")
    static let updates = TestData.path("mrt/routeviews/routeviews.route-views.jinx.updates.1401493500.bz2")
    static let registry = TestData.path("registry")
    static let t0: UInt32 = 1_401_487_200  // 2014-05-30 22:00 UTC, the RIB's time

    static func monitor() -> Monitor {
        Monitor { time in try RegistryDatabase.load(directory: registry, near: time) }
    }

    /// Replays files into a monitor, RIB ends included.
    static func replay(_ inputs: [ReplayInput], into m: Monitor) throws {
        let r = Replay(inputs)
        try r.run({ e, input in try m.process(e, collector: input.collector) }, endOfFile: { _ in m.endOfRIB() })
        for report in r.reports { #expect(report.error == nil, "\(report.path): \(report.error ?? "")") }
    }
}

/// Published events replayed on the real jinx RIB: update streams written with the MRT
/// writer withdraw and restore the real prefixes of a country, over background churn.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct ScenarioTests {
    struct Withdrawal {
        var country: String
        var keepOrigin: UInt32?
        var from: UInt32
        var to: UInt32
    }

    @Test func publishedOutagesAreFoundToTheBin() throws {
        let m = Jinx.monitor()
        try Jinx.replay([ReplayInput(path: Jinx.rib)], into: m)
        let state = m.state
        let registry = try #require(m.registry)
        // The full-feed peer (AS30844) and the routes it has for each country.
        let peer = try #require(state.tables.indices.max { state.tables[$0].count < state.tables[$1].count })
        let key = state.peers[peer]
        #expect(key.asn == 30844 && key.collector == "route-views.jinx")
        var routes: [String: [(Prefix, UInt32)]] = [:]
        state.tables[peer].forEach { prefix, path in
            let p = state.prefixes[prefix]
            guard !p.isV6, let cc = registry.country(of: p) else { return }
            routes[cc.description, default: []].append((p, path))
        }
        #expect(routes["KP"]?.count == 4)

        // KP (2014-12-22: all 4 prefixes of AS131279), SY (2013-05-07: everything), EG
        // (2011-01-27: everything but Noor Group AS20928), each for two hours.
        let hour: UInt32 = 3600
        let scenario = [
            Withdrawal(country: "KP", keepOrigin: nil, from: Jinx.t0 + 4 * hour + 30, to: Jinx.t0 + 6 * hour + 30),
            Withdrawal(country: "SY", keepOrigin: nil, from: Jinx.t0 + 7 * hour + 10, to: Jinx.t0 + 9 * hour + 10),
            Withdrawal(country: "EG", keepOrigin: 20928, from: Jinx.t0 + 10 * hour + 200, to: Jinx.t0 + 12 * hour + 200),
        ]
        let peering = BGP4MPPeering(peerASN: key.asn, localASN: 6447, afi: AFI.ipv4, peerAddress: key.address,
                                    localAddress: IPAddress("128.223.51.15")!)
        func attributes(_ path: UInt32) -> PathAttributes.Builder {
            PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: Array(state.paths.asns(path))), nextHop: key.address)
        }
        let w = MRTWriter()
        // Background: every minute, 10 prefixes re-announced with a longer path, 3 withdrawn
        // and announced again, drawn from the whole table (none of the three countries').
        var everything: [(Prefix, UInt32)] = []
        for (cc, r) in routes where !["KP", "SY", "EG"].contains(cc) { everything += r }
        everything.sort { $0.0 < $1.0 }
        var generator = SplitMix64(seed: 2014)
        var events: [(UInt32, () -> Void)] = []
        for minute in UInt32(1)..<(14 * 60) {
            let t = Jinx.t0 + minute * 60
            events.append((t, {
                for _ in 0..<10 {
                    let (p, path) = everything[Int(generator.next() % UInt64(everything.count))]
                    var b = attributes(path)
                    b.asPath = ASPath(sequence: [key.asn] + Array(state.paths.asns(path)))
                    w.writeUpdate(timestamp: t, peering: peering, announced: [p], attributes: b)
                }
                for _ in 0..<3 {
                    let (p, path) = everything[Int(generator.next() % UInt64(everything.count))]
                    w.writeUpdate(timestamp: t, peering: peering, withdrawn: [p])
                    w.writeUpdate(timestamp: t + 20, peering: peering, announced: [p], attributes: attributes(path))
                }
            }))
        }
        for s in scenario {
            let gone = routes[s.country]!.filter { s.keepOrigin == nil || state.paths.origins[Int($0.1)] != s.keepOrigin }
            events.append((s.from, { for (p, _) in gone { w.writeUpdate(timestamp: s.from, peering: peering, withdrawn: [p]) } }))
            events.append((s.to, {
                for (p, path) in gone { w.writeUpdate(timestamp: s.to, peering: peering, announced: [p], attributes: attributes(path)) }
            }))
        }
        // Before KP's outage, as in December 2014, its routes turn unstable: for 30 minutes
        // from 01:00 all four are withdrawn and announced again every minute.
        for minute in UInt32(0)..<30 {
            let t = Jinx.t0 + 3 * hour + minute * 60 + 5
            events.append((t, { w.writeUpdate(timestamp: t, peering: peering, withdrawn: routes["KP"]!.map(\.0)) }))
            events.append((t + 20, {
                for (p, path) in routes["KP"]! { w.writeUpdate(timestamp: t + 20, peering: peering, announced: [p], attributes: attributes(path)) }
            }))
        }
        for (_, write) in events.sorted(by: { $0.0 < $1.0 }) { write() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-scenario-\(UUID().uuidString).mrt").path
        let out = try OutputFile(path: file, compression: .none)
        try out.write(w.sink)
        try out.close()
        defer { try? FileManager.default.removeItem(atPath: file) }

        try Jinx.replay([ReplayInput(path: file, collector: "route-views.jinx")], into: m)
        m.finish()
        let outages = m.events.filter { $0.kind == .outage && $0.asn == nil }
        #expect(outages.count == 3, "\(outages.map(\.summary))")
        // The flapping is instability of KP and of AS131279, from its first bin to the first bin after it, and no outage.
        let unstable = m.events.filter { $0.kind == .instability }
        #expect(unstable.map { $0.asn } == [nil, 131279] || unstable.map { $0.asn } == [131279, nil], "\(unstable.map(\.summary))")
        #expect(unstable.allSatisfy { $0.country.description == "KP" && $0.start == Jinx.t0 + 3 * hour && $0.end == Jinx.t0 + 3 * hour + 1800 })
        #expect(unstable.first { $0.asn == nil }?.summary == "KP: routing instability 2014-05-31 01:00 to 2014-05-31 01:30 UTC (30m): churn above 5x its baseline of 0 per bin")

        let kp = try #require(outages.first { $0.country.description == "KP" })
        #expect(kp.severity == .complete)
        #expect(kp.start == Jinx.t0 + 4 * hour && kp.end == Jinx.t0 + 6 * hour)
        #expect(kp.prefixesLost.map(\.description) == ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"])
        #expect(kp.originsAffected == [131279] && kp.originsUnaffected.isEmpty)
        #expect(kp.providersLost == [4837])
        #expect(kp.peers == ["AS30844 \(key.address) (route-views.jinx)"])
        #expect(kp.summary == "KP: complete outage 2014-05-31 02:00 to 2014-05-31 04:00 UTC (2h0m): 4 of 4 prefixes of AS131279 withdrawn; sole provider AS4837")

        let sy = try #require(outages.first { $0.country.description == "SY" })
        #expect(sy.severity == .complete && sy.start == Jinx.t0 + 7 * hour && sy.end == Jinx.t0 + 9 * hour)
        #expect(Set(sy.originsAffected) == Set(routes["SY"]!.map { state.paths.origins[Int($0.1)] }))

        let eg = try #require(outages.first { $0.country.description == "EG" })
        let kept = routes["EG"]!.filter { state.paths.origins[Int($0.1)] == 20928 }.count
        #expect(eg.severity == .partial && eg.start == Jinx.t0 + 10 * hour && eg.end == Jinx.t0 + 12 * hour)
        #expect(eg.originsUnaffected == [20928] && !eg.originsAffected.contains(20928))
        #expect(eg.prefixesLost.count == routes["EG"]!.count - kept)
        #expect(abs(eg.fractionLost - Double(routes["EG"]!.count - kept) / eg.baseline) < 1e-9)

        // The same outages per origin AS. Expected from the full-feed table alone: an origin
        // with at least 3 prefixes (the rule's minimum) that loses 20% or more of them.
        let byAS = m.events.filter { $0.asn != nil && $0.kind == .outage }
        let star = try #require(byAS.first { $0.asn == 131279 })
        #expect(star.severity == .complete && star.start == kp.start && star.end == kp.end && star.country.description == "KP")
        #expect(star.prefixesLost == kp.prefixesLost && star.providersLost == [4837])
        #expect(star.summary == "AS131279 (KP): complete outage 2014-05-31 02:00 to 2014-05-31 04:00 UTC (2h0m): 4 of 4 prefixes withdrawn; sole provider AS4837")
        var perOrigin: [UInt32: Int] = [:]
        state.tables[peer].forEach { prefix, path in
            if !state.prefixes[prefix].isV6 { perOrigin[state.paths.origins[Int(path)], default: 0] += 1 }
        }
        func expected(_ s: Withdrawal) -> [UInt32: Bool] {  // origin -> complete
            var lost: [UInt32: Int] = [:]
            for (_, path) in routes[s.country]! where s.keepOrigin == nil || state.paths.origins[Int(path)] != s.keepOrigin {
                lost[state.paths.origins[Int(path)], default: 0] += 1
            }
            var out: [UInt32: Bool] = [:]
            for (origin, n) in lost where origin != 0 {
                let total = perOrigin[origin]!
                if total >= 3, Double(total - n) < 0.8 * Double(total) { out[origin] = n == total }
            }
            return out
        }
        for (s, e) in zip(scenario, [kp, sy, eg]) {
            var found: [UInt32: Bool] = [:]
            for a in byAS where a.start == e.start { found[a.asn!] = a.severity == .complete }
            #expect(found == expected(s), "\(s.country)")
            #expect(byAS.filter { $0.start == e.start }.allSatisfy { $0.end == e.end })
        }
        #expect(!expected(scenario[2]).keys.contains(20928) && expected(scenario[1]).count == 3)
        let starSeries = try #require(m.asnSeries[131279])
        #expect(starSeries.last { $0.time <= Jinx.t0 + 4 * hour }?.visiblePrefixes == 0)
        #expect(starSeries.last { $0.time <= Jinx.t0 + 3 * hour }?.visiblePrefixes == 4)
        #expect(starSeries.last { $0.time <= Jinx.t0 + 3 * hour }?.slash24s == 4)
        #expect(starSeries.first { $0.time == Jinx.t0 + 4 * hour }?.withdrawals == 4)

        // The series: KP's bins show 4 visible prefixes, none during the outage.
        let series = try #require(m.series[CountryCode("KP")!])
        #expect(series.first { $0.time == Jinx.t0 + 3 * hour }?.visiblePrefixes == 4)
        #expect(series.first { $0.time == Jinx.t0 + 5 * hour }?.visiblePrefixes == 0)
        #expect(series.first { $0.time == Jinx.t0 + 4 * hour }?.withdrawals == 4)
    }

    /// Normal data raises no outage: the real jinx RIB, then the collector's real updates.
    @Test func realUpdatesRaiseNoOutage() throws {
        let m = Jinx.monitor()
        try Jinx.replay([ReplayInput(path: Jinx.updates), ReplayInput(path: Jinx.rib),
                         ReplayInput(path: TestData.path("mrt/ris/ris.rrc06.updates.1401488100.gz"))], into: m)
        m.finish()
        #expect(m.events.filter { $0.kind == .outage && $0.asn == nil }.isEmpty, "\(m.events.map(\.summary))")
        // Bins from the RIB's 22:00 to the last update (23:59:42): 24, and the US holds its
        // census figure (104,493 prefixes) give or take the few that changed.
        let us = try #require(m.series[CountryCode("US")!])
        #expect(us.count == 24 && us.allSatisfy { abs($0.visiblePrefixes - 104_493) <= 5 }, "\(us.map(\.visiblePrefixes))")
        // Every announcement of a prefix with a country is counted in its country's bins.
        let registry = try #require(m.registry)
        var expected = 0
        for path in [Jinx.updates, TestData.path("mrt/ris/ris.rrc06.updates.1401488100.gz")] {
            let stream = ElementStream(reader: MRTReader(source: try Input.open(path).source, name: path))
            try stream.forEach { e in if e.kind == .announce, registry.country(of: e.prefix) != nil { expected += 1 } }
        }
        let counted = m.series.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.announcements } }
        #expect(counted == expected && expected > 3000, "\(counted) vs \(expected)")
    }
}

extension ScenarioTests {
    /// route-views2's real stream of 2013-01-01 (four parts, given out of order), alone:
    /// no RIB sets its tables, so no peer is full-feed and no outage can be claimed;
    /// the churn is binned and stays below the instability rule.
    @Test func routeViews2NewYearRaisesNothing() throws {
        let m = Jinx.monitor()
        let parts = [3, 1, 0, 2].map { ReplayInput(path: TestData.path("mrt/routeviews/route-views2.updates.20130101.part\($0).mrt")) }
        try Jinx.replay(parts, into: m)
        m.finish()
        #expect(m.events.isEmpty, "\(m.events.map(\.summary))")
        let us = try #require(m.series[CountryCode("US")!])
        #expect(us.allSatisfy { $0.fullFeedPeers == 0 && $0.visiblePrefixes == 0 })
        #expect(us.reduce(0) { $0 + $1.announcements } > 1000)
        // In time order: bins start with part 0's first record (00:13:44, bin 00:10) and follow one another.
        #expect(us.first?.time == 1_356_999_000 && zip(us, us.dropFirst()).allSatisfy { $1.time == $0.time + 300 })
    }
}

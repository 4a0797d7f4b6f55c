import Foundation
import MRT
import MRTArchive
import Routing
import ScenarioSupport
import Testing
import TestSupport

/// The scenario writer itself: what it writes reads back as exactly what was scheduled.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct ScenarioSupportTests {
    static let t0 = BaseTable.jinxTime  // 2014-05-30 22:00 UTC
    static let kpRange = Prefix("175.45.176.0/22")!
    static let kp = ["175.45.176.0/24", "175.45.177.0/24", "175.45.178.0/24", "175.45.179.0/24"].map { Prefix($0)! }

    static func read(_ path: String) throws -> [RouteElement] {
        let stream = ElementStream(reader: MRTReader(source: try Input.open(path).source, name: path))
        var out: [RouteElement] = []
        try stream.forEach { out.append($0) }
        #expect(stream.stats.damagedRecords == 0 && stream.stats.unsupportedRecords == 0, "\(path)")
        return out
    }

    @Test func baseTableIsTheFullestPeer() throws {
        let full = try BaseTable.load()
        #expect(full.sources.map(\.asn) == [30844, 6968])
        #expect(full.sources.first?.address == IPAddress("196.223.14.55"))
        #expect(full.ipv4Count == 497_321 && full.ipv6Count == 70 && full.count == 497_391)
        #expect(full.path(for: Self.kp[0]) == [30844, 3356, 1239, 4837, 131279])
        #expect(full.prefixes.filter { !$0.isV6 } == full.prefixes.prefix(497_321).map { $0 })

        // The sample: the ranges whole, about 1 in 500 of the rest, the same every time.
        let a = try BaseTable.load(keepingRanges: [Self.kpRange], sampleOneIn: 500)
        let b = try BaseTable.load(keepingRanges: [Self.kpRange], sampleOneIn: 500)
        #expect(a.prefixes == b.prefixes && a.pathIDs == b.pathIDs)
        #expect(Self.kp.allSatisfy { a.route(for: $0) != nil } && a.path(for: Self.kp[3]) == full.path(for: Self.kp[3]))
        #expect(abs(a.count - full.count / 500) < 100, "\(a.count)")
        let other = try BaseTable.load(keepingRanges: [], sampleOneIn: 500, seed: 7)
        #expect(other.prefixes != a.prefixes && Set(a.prefixes).isSuperset(of: Self.kp))
        #expect(a.routes.allSatisfy { full.path(for: $0.prefix) == $0.path })
    }

    @Test func archivePathsNameTheirCollector() throws {
        let dir = "/tmp/scenario"
        for (collector, layout) in [("route-views.synth", CollectorLayout.routeViews), ("route-views2", .routeViews), ("rrc99", .ris)] {
            #expect(CollectorLayout(collector: collector) == layout)
            let rib = layout.ribPath(directory: dir, collector: collector, time: Self.t0)
            let updates = layout.updatesPath(directory: dir, collector: collector, time: Self.t0 + 300)
            #expect(collectorName(forPath: rib) == collector && collectorName(forPath: updates) == collector)
        }
        #expect(CollectorLayout.routeViews.ribPath(directory: dir, collector: "route-views.synth", time: Self.t0)
            == "/tmp/scenario/route-views.synth/bgpdata/2014.05/RIBS/rib.20140530.2200.bz2")
        #expect(CollectorLayout.ris.updatesPath(directory: dir, collector: "rrc99", time: Self.t0 + 7200 + 86400 + 300)
            == "/tmp/scenario/rrc99/2014.06/updates.20140601.0005.gz")
        #expect(CollectorLayout(collector: "jinx") == nil && CollectorLayout(collector: "rrc1") == nil)
    }

    /// One hour, two collectors (4 + 3 peers), a subset of the table; read back element by element.
    @Test func smallScenarioReadsBackExactly() throws {
        let t0 = Self.t0
        let full = try BaseTable.load()
        let v6 = try #require(full.prefixes.first { $0.isV6 })
        let base = try BaseTable.load(keepingRanges: [Self.kpRange, v6], sampleOneIn: 400)
        let flapping = try #require(base.prefixes.first { !Self.kpRange.contains($0) && !$0.isV6 })
        let w = try ScenarioWriter(base: base, start: t0, end: t0 + 3600)
        defer { w.remove() }
        let rv = w.peers(of: "route-views.synth"), ris = w.peers(of: "rrc99")
        #expect(w.collectors == ["route-views.synth", "rrc99"] && rv.count == 4 && ris.count == 3)
        let gone = Self.kp + [v6]
        let otherPath: [UInt32] = [64999, 4837, 131279]
        w.writeRIB(time: t0, collector: "route-views.synth")
        w.writeRIB(time: t0, collector: "rrc99")
        w.writeRIB(time: t0 + 1800, collector: "rrc99")
        w.writeRIB(time: t0 + 2400, collector: "route-views.synth")  // during rv[0]'s refill
        w.writeRIB(time: t0 + 2640, collector: "route-views.synth")
        w.withdraw(gone, at: t0 + 600)
        w.announce(gone, peers: rv + ris.prefix(2), at: t0 + 1200)
        w.announce(gone, peers: [ris[2]], at: t0 + 1200, path: otherPath)
        w.flap([flapping], peers: [rv[1], ris[0]], from: t0 + 1500, to: t0 + 1800, every: 60, down: 20)
        w.sessionDown(rv[0], at: t0 + 2000)
        w.sessionUp(rv[0], at: t0 + 2300)
        let late = base.prefixes.last!  // announced anew before the refill reaches it: in the RIB during the refill
        w.announce([late], peers: [rv[0]], at: t0 + 2350, path: [64777, 15169])
        w.silence("rrc99", from: t0 + 2400, to: t0 + 3000)
        w.silence("route-views.synth", from: t0 + 2700, to: t0 + 2800)
        w.background(churn: Churn())
        let files = try w.finish()

        // The files: the collectors' layouts, every period but the silenced ones, in time order.
        let names = files.map { String($0.path.dropFirst(w.directory.count + 1)) }
        let rvUpdates = [2200, 2215, 2230, 2245].map { "route-views.synth/bgpdata/2014.05/UPDATES/updates.20140530.\($0).bz2" }
        let risUpdates = [2200, 2205, 2210, 2215, 2220, 2225, 2230, 2235, 2250, 2255].map { "rrc99/2014.05/updates.20140530.\($0).gz" }
        let ribs = ["route-views.synth/bgpdata/2014.05/RIBS/rib.20140530.2200.bz2", "rrc99/2014.05/bview.20140530.2200.gz",
                    "rrc99/2014.05/bview.20140530.2230.gz", "route-views.synth/bgpdata/2014.05/RIBS/rib.20140530.2240.bz2",
                    "route-views.synth/bgpdata/2014.05/RIBS/rib.20140530.2244.bz2"]
        #expect(Set(names) == Set(rvUpdates + risUpdates + ribs))
        #expect(names.count == 19 && Array(names.prefix(2)) == Array(ribs.prefix(2)) && names.last == risUpdates.last)
        #expect(zip(files, files.dropFirst()).allSatisfy { $0.start <= $1.start })
        for f in files {
            #expect(collectorName(forPath: f.path) == f.collector, "\(f.path)")
            #expect(FileManager.default.fileExists(atPath: f.path))
            if f.kind == .updates {
                #expect(f.end == f.start + (f.collector == "rrc99" ? 300 : 900))
                #expect(f.collector != "rrc99" || f.end <= t0 + 2400 || f.start >= t0 + 3000, "\(f.path) is silenced")
            }
        }

        // Everything read back, by collector, in time order.
        var elements: [String: [RouteElement]] = [:]
        for f in files {
            let read = try Self.read(f.path)
            #expect(!read.isEmpty || f.records == 0)
            #expect(read.allSatisfy { f.kind == .rib ? $0.kind == .rib && $0.timestamp == f.start
                        : $0.kind != .rib && $0.timestamp >= f.start && $0.timestamp < f.end }, "\(f.path)")
            #expect(zip(read, read.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
            if f.kind == .updates { elements[f.collector, default: []] += read }
        }
        let updates = elements.values.flatMap { $0 }
        func peer(_ e: RouteElement) -> ScenarioPeer { w.peers.first { $0.asn == e.peerASN && $0.address == e.peerAddress }! }
        #expect(updates.allSatisfy { e in w.peers.contains { $0.asn == e.peerASN && $0.address == e.peerAddress } })

        // The first RIBs: each peer has the whole base table, its ASN before each base path.
        for (file, peers) in [(files[0], rv), (files[1], ris)] {
            let rib = try Self.read(file.path)
            for p in peers {
                let mine = rib.filter { $0.peerASN == p.asn && $0.peerAddress == p.address }
                #expect(mine.count == base.count, "\(p)")
                #expect(mine.allSatisfy { $0.asPath?.asns == [p.asn] + base.path(for: $0.prefix)! }, "\(p)")
                #expect(mine.allSatisfy { $0.nextHop == ($0.prefix.isV6 ? p.ipv6NextHop : p.address) }, "\(p)")
                #expect(Set(mine.map(\.prefix)) == Set(base.prefixes))
            }
            #expect(rib.count == base.count * peers.count)
        }

        // The scheduled withdrawals and announcements, and nothing else for those prefixes
        // but the refill of rv[0].
        let refill = (t0 + 2300)...(t0 + 2300 + w.refillDuration)
        let scheduled = updates.filter { gone.contains($0.prefix) && !(peer($0) == rv[0] && refill.contains($0.timestamp)) }
        let withdrawn = scheduled.filter { $0.kind == .withdraw }
        #expect(withdrawn.count == 35 && withdrawn.allSatisfy { $0.timestamp == t0 + 600 })
        let announced = scheduled.filter { $0.kind == .announce }
        #expect(announced.count == 35 && announced.allSatisfy { $0.timestamp == t0 + 1200 })
        for e in announced {
            let expected = peer(e) == ris[2] ? [ris[2].asn] + otherPath : [e.peerASN] + base.path(for: e.prefix)!
            #expect(e.asPath?.asns == expected)
        }
        #expect(Set(withdrawn.map(peer)) == Set(w.peers) && Set(announced.map(\.prefix)) == Set(gone))

        // The flap: 5 withdrawals by each of the two peers, each followed by the same path 20 s later.
        let flaps = updates.filter { $0.prefix == flapping && !(peer($0) == rv[0] && refill.contains($0.timestamp)) }
        let flapTimes = (0..<5).map { t0 + 1500 + UInt32($0) * 60 }
        for p in [rv[1], ris[0]] {
            let mine = flaps.filter { peer($0) == p }
            #expect(mine.filter { $0.kind == .withdraw }.map(\.timestamp) == flapTimes)
            #expect(mine.filter { $0.kind == .announce }.map(\.timestamp) == flapTimes.map { $0 + 20 })
            #expect(mine.filter { $0.kind == .announce }.allSatisfy { $0.asPath?.asns == [p.asn] + base.path(for: flapping)! })
        }
        #expect(flaps.count == 20)

        // The session: down, nothing from the peer, up, its whole table again over 3 minutes.
        let states = updates.filter { $0.kind == .state }
        #expect(states.map { "\($0.timestamp - t0) \($0.peerASN) \($0.oldState.rawValue)>\($0.newState.rawValue)" }
            == ["2000 64496 6>1", "2300 64496 5>6"])
        let fromPeer0 = updates.filter { peer($0) == rv[0] && $0.kind != .state }
        #expect(!fromPeer0.contains { $0.timestamp > t0 + 2000 && $0.timestamp <= t0 + 2300 })
        let refilled = fromPeer0.filter { refill.contains($0.timestamp) && $0.kind == .announce }
        #expect(Set(refilled.map(\.prefix)) == Set(base.prefixes))
        #expect(refilled.first!.timestamp == t0 + 2301 && refilled.last!.timestamp <= t0 + 2300 + w.refillDuration)

        // The silences: no rrc99 records 22:40-22:50, no route-views.synth records 22:45:00-22:46:40.
        #expect(!elements["rrc99"]!.contains { $0.timestamp >= t0 + 2400 && $0.timestamp < t0 + 3000 })
        #expect(!elements["route-views.synth"]!.contains { $0.timestamp >= t0 + 2700 && $0.timestamp < t0 + 2800 })

        // Churn: path changes and single-peer withdrawals of other prefixes, every minute;
        // each withdrawal followed by the same peer's announcement 20-60 s later.
        let churn = updates.filter { !gone.contains($0.prefix) && $0.prefix != flapping && $0.kind != .state
            && !(peer($0) == rv[0] && refill.contains($0.timestamp)) }
        let churnW = churn.filter { $0.kind == .withdraw }
        #expect(churnW.count > 100 && churnW.count <= 180, "\(churnW.count)")
        #expect(Set(churn.map { $0.timestamp / 60 }).count >= 50)
        for wd in churnW where wd.timestamp + 60 < t0 + 3600 && !(t0 + 2340...t0 + 3000).contains(wd.timestamp)
            && !(peer(wd) == rv[0] && (t0 + 1940...t0 + 2550).contains(wd.timestamp)) {
            let back = churn.filter { $0.kind == .announce && peer($0) == peer(wd) && $0.prefix == wd.prefix
                && $0.timestamp >= wd.timestamp + 20 && $0.timestamp <= wd.timestamp + 60 }
            #expect(back.count == 1, "\(wd.prefix) at \(wd.timestamp)")
            let others = churnW.filter { $0.prefix == wd.prefix && peer($0) != peer(wd) && $0.timestamp / 60 == wd.timestamp / 60 }
            #expect(others.isEmpty)
        }
        let changes = churn.filter { $0.kind == .announce }
        #expect(changes.count > 400, "\(changes.count)")
        #expect(changes.allSatisfy { e in
            let b = [e.peerASN] + base.path(for: e.prefix)!
            return e.asPath?.asns == b || e.asPath?.asns == [e.peerASN, b[1]] + b.dropFirst()
        })

        // Each later RIB is its collector's first RIB with the recorded updates applied
        // (both before the collector's silence); in the middle of its refill, rv[0] has part of its table.
        func named(_ suffix: String) -> ScenarioFile { files.first { $0.path.hasSuffix(suffix) }! }
        for (first, later) in [(files[1], named("bview.20140530.2230.gz")), (files[0], named("rib.20140530.2240.bz2")),
                               (files[0], named("rib.20140530.2244.bz2"))] {
            var tables: [String: [Prefix: [UInt32]]] = [:]
            func key(_ e: RouteElement) -> String { "\(e.peerASN) \(e.peerAddress)" }
            for e in try Self.read(first.path) { tables[key(e), default: [:]][e.prefix] = e.asPath!.asns }
            for e in elements[first.collector]! where e.timestamp < later.start {
                switch e.kind {
                case .announce: tables[key(e), default: [:]][e.prefix] = e.asPath!.asns
                case .withdraw: tables[key(e)]?[e.prefix] = nil
                case .state: if e.newState != .established { tables[key(e)] = [:] }
                case .rib: break
                }
            }
            var dumped: [String: [Prefix: [UInt32]]] = [:]
            for e in try Self.read(later.path) { dumped[key(e), default: [:]][e.prefix] = e.asPath!.asns }
            let replayed = tables.filter { !$0.value.isEmpty }
            #expect(Set(dumped.keys) == Set(replayed.keys), "\(later.path)")
            for (peer, table) in dumped {
                let other = replayed[peer] ?? [:]
                let differ = Set(table.keys).union(other.keys).filter { table[$0] != other[$0] }
                #expect(differ.isEmpty, "\(later.path) \(peer): \(differ.count) routes differ, e.g. \(differ.prefix(3).map { "\($0) \(table[$0] ?? []) vs \(other[$0] ?? [])" })")
            }
            for (peer, table) in dumped {
                if later.start == t0 + 2400, peer.hasPrefix("\(rv[0].asn) ") {
                    #expect(table.count > base.count / 3 && table.count < base.count * 2 / 3, "\(table.count)")
                    #expect(table[late] == [rv[0].asn, 64777, 15169])
                } else {
                    #expect(table.count >= base.count - 5, "\(peer) \(table.count)")
                }
            }
        }
    }
}

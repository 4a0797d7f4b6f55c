import Foundation
import MRT
import Routing
import Testing
import TestSupport

struct RoutingStateTests {
    /// The compact per-peer table behaves as a dictionary under random sets and removes,
    /// through growth, backward-shift deletion and the switch to a dense array.
    @Test func peerRoutesMatchADictionary() {
        var generator = SplitMix64(seed: 7)
        for prefixCount in [100, 5000] {
            var table = PeerRoutes()
            var model: [UInt32: UInt32] = [:]
            for step in 0..<40_000 {
                let prefix = UInt32(generator.next() % UInt64(prefixCount))
                if generator.next() % 3 == 0 {
                    #expect(table.remove(prefix) == model.removeValue(forKey: prefix))
                } else {
                    let path = UInt32(step)
                    #expect(table.set(prefix, path: path, prefixCount: prefixCount) == model.updateValue(path, forKey: prefix))
                }
            }
            #expect(table.count == model.count)
            for p in 0..<UInt32(prefixCount) { #expect(table.path(of: p) == model[p]) }
            var seen: [UInt32: UInt32] = [:]
            table.forEach { seen[$0] = $1 }
            #expect(seen == model)
        }
    }

    static let peer = IPAddress("192.0.2.1")!

    static func element(_ kind: RouteElement.Kind, _ prefix: String, path: [UInt32] = [64500, 4837, 131279],
                        old: BGPState = .established, new: BGPState = .established) -> RouteElement {
        let b = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: path), nextHop: peer)
        return RouteElement(timestamp: 1000, kind: kind, peerAddress: peer, peerASN: 64500, prefix: Prefix(prefix)!,
                            attributes: b.build(ribForm: false), oldState: old, newState: new,
                            recordType: kind == .rib ? .tableDumpV2 : .bgp4mp, origin: kind == .rib ? .rib : .nlri)
    }

    /// Announcements, path changes, withdrawals, a session going down, and a RIB dump that
    /// re-synchronises a table (RFC 4271 section 8: a session leaving Established loses its routes).
    @Test func stateFollowsSessionsAndRIBs() {
        let s = RoutingState()
        // Path ids are those of the paths' first nodes (the trie is built from the origin end:
        // 131279, 4837 131279, 64500 4837 131279 are ids 0, 1, 2).
        #expect(s.apply(Self.element(.announce, "175.45.176.0/24"), collector: "c") == .added(peer: 0, prefix: 0, path: 2))
        #expect(s.apply(Self.element(.announce, "175.45.176.0/24"), collector: "c") == .unchanged(peer: 0, prefix: 0))
        #expect(s.apply(Self.element(.announce, "175.45.176.0/24", path: [64500, 22351, 131279]), collector: "c")
                == .pathChanged(peer: 0, prefix: 0, old: 2, new: 4))
        _ = s.apply(Self.element(.announce, "175.45.177.0/24"), collector: "c")
        _ = s.apply(Self.element(.announce, "2001:db8::/32"), collector: "c")
        #expect(s.routeCount == 3 && s.tables[0].ipv4Count == 2)
        #expect(s.apply(Self.element(.withdraw, "175.45.177.0/24"), collector: "c") == .removed(peer: 0, prefix: 1, path: 2))
        #expect(s.apply(Self.element(.withdraw, "175.45.177.0/24"), collector: "c") == .nothing)
        // The same peer address at another collector is another table.
        _ = s.apply(Self.element(.announce, "175.45.178.0/24"), collector: "d")
        #expect(s.peers.count == 2 && s.routeCount == 3)

        let down = Self.element(.state, "0.0.0.0/0", old: .established, new: .idle)
        #expect(RoutingState.isSessionDown(down))
        #expect(!RoutingState.isSessionDown(Self.element(.state, "0.0.0.0/0", old: .openConfirm, new: .established)))
        #expect(s.dropPeer(0).count == 2 && s.tables[0].count == 0 && s.tables[0].ipv4Count == 0 && s.routeCount == 1)

        // A RIB dump listing only 175.45.179.0/24 for collector d's peer: 175.45.178.0/24 goes at its end.
        _ = s.apply(Self.element(.rib, "175.45.179.0/24"), collector: "d")
        let removed = s.endRIB()
        #expect(removed.count == 1 && s.prefixes[removed[0].1] == Prefix("175.45.178.0/24")!)
        #expect(s.tables[1].count == 1 && s.tables[1].ipv4Count == 1)
        // Two paths sharing their origin: five nodes.
        #expect(s.paths.count == 5 && Array(s.paths.asns(4)) == [64500, 22351, 131279] && s.paths.origins[4] == 131279)
    }

    @Test func collectorsFromPaths() {
        #expect(collectorName(forPath: "/data/routeviews.route-views.jinx.ribs.1401487200.bz2") == "route-views.jinx")
        #expect(collectorName(forPath: "route-views2.updates.20130101.part0.mrt") == "route-views2")
        #expect(collectorName(forPath: "/archive/route-views2/bgpdata/2013.01/UPDATES/updates.20130101.0000.bz2") == "route-views2")
        #expect(collectorName(forPath: "/ris/rrc00/2014.12/updates.20141222.1615.gz") == "rrc00")
        #expect(collectorName(forPath: "ris.rrc06.updates.1401488100.gz") == "rrc06")
        #expect(collectorName(forPath: "/x/routeviews.route-views.sydney.updates.1.bz2") == "route-views.sydney")
    }
}

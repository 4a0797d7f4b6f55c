import Foundation
import MRT
import MRTArchive
@testable import Routing
import Testing
import TestSupport

/// The path table (a trie of suffixes) and the routing tables' checkpoint, on real paths.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct PathTableTests {
    /// route-views.jinx's RIB of 2014-05-30 22:00 (14 peers), its first `limit` elements and
    /// more up to the end of a record, and route-views2's updates of 2013-01-01 (part 3).
    static let rib = TestData.path("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2")
    static let updates = TestData.path("mrt/routeviews/route-views2.updates.20130101.part3.mrt")

    static func elements(_ file: String, limit: Int = .max, _ body: (RouteElement) -> Void) throws {
        let stream = ElementStream(reader: MRTReader(source: try Input.open(file, prefetch: false).source, name: file))
        var n = 0
        while n < limit, let record = try stream.nextRecord() {
            for e in record { body(e) }
            n += record.count
        }
    }

    /// Every flattened AS path of the elements, with whether it ends in an AS_SET.
    static func realPaths(_ file: String, limit: Int = .max) throws -> [(asns: [UInt32], endsInSet: Bool)] {
        var out: [(asns: [UInt32], endsInSet: Bool)] = []
        var buffer: [UInt32] = []
        var last: PathAttributes?
        try elements(file, limit: limit) { e in
            guard e.kind == .announce || e.kind == .rib, e.attributes !== last else { return }
            last = e.attributes
            if let endsInSet = e.attributes.flattenedPath(into: &buffer) { out.append((buffer, endsInSet)) }
        }
        return out
    }

    /// A path comes back as it went in, by its id; the same path (and only it) gets the same
    /// id; origins are the last ASN, 0 after an AS_SET or for the empty path.
    @Test func internAndLookUp() {
        var t = PathTable()
        let paths: [([UInt32], Bool)] = [
            ([64500, 4837, 131279], false), ([64501, 4837, 131279], false), ([4837, 131279], false), ([131279], false),
            ([64500, 4837, 131279], true), ([], false), ([7, 7, 7], false), ([7, 7], false), ([4_294_967_295, 0], false),
        ]
        let ids = paths.map { t.intern($0.0, endsInSet: $0.1) }
        #expect(Set(ids).count == paths.count)
        for (path, id) in zip(paths, ids) {
            #expect(Array(t.asns(id)) == path.0)
            #expect(t.origins[Int(id)] == (path.1 || path.0.isEmpty ? 0 : path.0.last!))
            #expect(t.intern(path.0, endsInSet: path.1) == id)
            #expect(t.find(path.0, endsInSet: path.1) == id)
        }
        #expect(t.find([1, 2, 3], endsInSet: false) == nil && t.find([22351, 131279], endsInSet: false) == nil)
        // Suffixes are shared: 131279, 4837 131279, 64500 and 64501 before it; the same three ending
        // in a set; the empty path; 7, 7 7, 7 7 7; 0, 4294967295 0.
        #expect(t.count == 13)
    }

    /// On every path of a real update file: the ids match a dictionary of whole paths (one
    /// id per distinct path), `asns(id)` gives each path back as the flat table did, origins
    /// match, and a collector's paths share most of their nodes.
    ///
    /// Twice: as it runs, and with the tags of its cache of recent paths cleared, so that every
    /// path that lands on an occupied slot of the cache is checked against the trie alone.
    @Test(arguments: [true, false]) func realPathsAsBefore(recentTags: Bool) throws {
        let paths = try Self.realPaths(Self.updates) + Self.realPaths(Self.rib, limit: 100_000)
        #expect(paths.count == 53_794)
        var t = PathTable()
        if !recentTags { t.recentTagMask = 0 }
        var model: [[UInt32]: [Bool: UInt32]] = [:]
        var asnsTotal = 0
        for p in paths {
            let id = t.intern(p.asns, endsInSet: p.endsInSet)
            if let known = model[p.asns]?[p.endsInSet] {
                #expect(known == id)
            } else {
                #expect(model.values.allSatisfy { !$0.values.contains(id) })
                model[p.asns, default: [:]][p.endsInSet] = id
                asnsTotal += p.asns.count
            }
        }
        for (asns, ends) in model {
            for (endsInSet, id) in ends {
                #expect(Array(t.asns(id)) == asns)
                #expect(t.origins[Int(id)] == (endsInSet || asns.isEmpty ? 0 : asns.last!))
            }
        }
        let distinct = model.values.reduce(0) { $0 + $1.count }
        #expect(distinct == 18_768)
        // Shared suffixes: fewer nodes than the ASNs a flat table holds (81,408).
        #expect(t.count == 70_883 && asnsTotal == 81_408)
    }

    /// The tables of the RIB's first 100,000 elements then the updates: full-feed peers'
    /// dense tables and the others' hashed ones.
    static func state() throws -> RoutingState {
        let s = RoutingState()
        try elements(Self.rib, limit: 100_000) { s.apply($0, collector: "route-views.jinx") }
        _ = s.endRIB()
        try elements(Self.updates) { e in
            if RoutingState.isSessionDown(e) {
                _ = s.dropPeer(s.peerID(PeerKey(collector: "route-views2", address: e.peerAddress, asn: e.peerASN)))
            } else {
                s.apply(e, collector: "route-views2")
            }
        }
        return s
    }

    /// The routing state's checkpoint restores to a state that writes the same bytes, inside
    /// the checkpoint or in pieces beside it; damaged or missing pieces are refused.
    @Test func checkpointRoundTripIsStable() throws {
        let s = try Self.state()
        #expect(s.routeCount == 102_127 && s.prefixes.count == 97_989)
        #expect(s.tables.filter { $0.count * 3 > s.prefixes.count }.count == 1)  // AS30844's, dense
        var c = CheckpointEncoder()
        s.encode(to: &c)
        var d = CheckpointDecoder(c.bytes)
        let restored = try RoutingState.decode(from: &d)
        #expect(d.isAtEnd)
        var again = CheckpointEncoder()
        restored.encode(to: &again)
        #expect(again.bytes == c.bytes)
        #expect(restored.routeCount == s.routeCount && restored.paths.count == s.paths.count)
        for peer in s.tables.indices {
            s.tables[peer].forEach { prefix, path in #expect(restored.tables[peer].path(of: prefix) == path) }
            #expect(restored.tables[peer].ipv4Count == s.tables[peer].ipv4Count)
        }

        // Beside the checkpoint, in small pieces.
        var pieces: [[UInt8]] = []
        try restored.writeTables(chunkBytes: 4096) { pieces.append(Array($0)) }
        var reference = CheckpointEncoder()
        restored.encode(to: &reference)
        #expect(pieces.count == 18)
        #expect(pieces.reduce(0) { $0 + $1.count } == c.bytes.count - 17)  // less the tag, the form and the count
        func restore(_ pieces: [[UInt8]]) throws -> RoutingState {
            var i = 0
            let source = ChunkSource { defer { i += 1 }; return i < pieces.count ? pieces[i] : nil }
            return try RoutingState.$storedTablesSource.withValue(source) {
                var d = CheckpointDecoder(reference.bytes)
                return try RoutingState.decode(from: &d)
            }
        }
        var inline = CheckpointEncoder()
        try restore(pieces).encode(to: &inline)
        #expect(inline.bytes == c.bytes)
        // A changed byte, a missing piece, a piece too many: refused.
        var damaged = pieces
        damaged[damaged.count / 2][100] ^= 0x40
        #expect(throws: CheckpointError.self) { try restore(damaged) }
        #expect(throws: CheckpointError.self) { try restore(Array(pieces.dropLast())) }
        #expect(throws: CheckpointError.self) { try restore(pieces + [[1, 2, 3]]) }
        #expect(throws: CheckpointError.self) {
            var d = CheckpointDecoder(reference.bytes)
            _ = try RoutingState.decode(from: &d)  // no pieces given
        }
    }
}

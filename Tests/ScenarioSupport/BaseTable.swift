import Foundation
import MRT
import MRTArchive
import TestSupport

/// The routes scenarios start from: the fullest peer's table in a real TABLE_DUMP_V2 RIB,
/// by default RouteViews' route-views.jinx dump of 2014-05-30 22:00 UTC.
///
/// The IPv4 routes are those of the peer with the most IPv4 routes and the IPv6 routes
/// those of the peer with the most IPv6 routes (at jinx the IPv4 one, AS30844 with 497,321
/// routes, has no IPv6 session, so the 70 IPv6 routes come from AS6968). Each route is a
/// prefix and its AS path as that peer announced it (its own ASN first), as ASNs: AS_SET
/// segments are flattened into the sequence.
///
/// Routes keep the order of the dump (IPv4 first, by prefix). AS paths are interned:
/// `pathIDs[i]` indexes `paths`.
public struct BaseTable: Sendable {
    /// A peer of the RIB that gave routes to the table.
    public struct Source: Sendable, Hashable, CustomStringConvertible {
        public var asn: UInt32
        public var address: IPAddress
        /// Its routes of the family it was chosen for, in the whole dump.
        public var routes: Int
        public var description: String { "AS\(asn) \(address) (\(routes) routes)" }
    }

    /// The RIB read.
    public let file: String
    /// The peer the IPv4 routes come from, then the one the IPv6 routes come from (if any).
    public let sources: [Source]
    /// The prefix of each route.
    public let prefixes: [Prefix]
    /// The AS path of each route, as an index into `paths`.
    public let pathIDs: [UInt32]
    /// The distinct AS paths (shared by filtered tables; some may be unused by a subset).
    public let paths: [[UInt32]]
    private let index: [Prefix: Int32]

    /// Number of routes.
    public var count: Int { prefixes.count }
    public var ipv4Count: Int { prefixes.lazy.filter { !$0.isV6 }.count }
    public var ipv6Count: Int { prefixes.lazy.filter { $0.isV6 }.count }

    /// Route `i` as prefix and AS path.
    public subscript(i: Int) -> (prefix: Prefix, path: [UInt32]) { (prefixes[i], paths[Int(pathIDs[i])]) }

    /// Every route as (prefix, AS path).
    public var routes: [(prefix: Prefix, path: [UInt32])] { prefixes.indices.map { self[$0] } }

    /// The index of the route for `prefix`, if the table has one.
    public func route(for prefix: Prefix) -> Int? { index[prefix].map(Int.init) }

    /// The AS path of `prefix`, if the table has it.
    public func path(for prefix: Prefix) -> [UInt32]? { route(for: prefix).map { paths[Int(pathIDs[$0])] } }

    init(file: String, sources: [Source], prefixes: [Prefix], pathIDs: [UInt32], paths: [[UInt32]]) {
        self.file = file
        self.sources = sources
        self.prefixes = prefixes
        self.pathIDs = pathIDs
        self.paths = paths
        var index: [Prefix: Int32] = [:]
        index.reserveCapacity(prefixes.count)
        for (i, p) in prefixes.enumerated() { index[p] = Int32(i) }
        self.index = index
    }

    /// The routes whose prefix `keep` accepts (same order, same path table).
    public func filtered(_ keep: (Prefix) -> Bool) -> BaseTable {
        var p: [Prefix] = []
        var ids: [UInt32] = []
        for i in prefixes.indices where keep(prefixes[i]) {
            p.append(prefixes[i])
            ids.append(pathIDs[i])
        }
        return BaseTable(file: file, sources: sources, prefixes: p, pathIDs: ids, paths: paths)
    }

    // MARK: Loading

    /// route-views.jinx, 2014-05-30 22:00 UTC, in the shared data.
    public static let jinxRIB = TestData.path("mrt/routeviews/routeviews.route-views.jinx.ribs.1401487200.bz2")
    /// The time of `jinxRIB`.
    public static let jinxTime: UInt32 = 1_401_487_200

    private final class Cache: @unchecked Sendable {
        let lock = NSLock()
        var tables: [String: BaseTable] = [:]
    }

    private static let cache = Cache()

    /// The whole table of `file`. Read once per process and shared: tests running in
    /// parallel that ask for it together wait for one read.
    public static func load(_ file: String = jinxRIB) throws -> BaseTable {
        cache.lock.lock()
        defer { cache.lock.unlock() }
        if let t = cache.tables[file] { return t }
        let t = try read(file)
        cache.tables[file] = t
        return t
    }

    /// The routes of `file` whose prefix `keeping` accepts (the file is read once per process).
    public static func load(_ file: String = jinxRIB, keeping: (Prefix) -> Bool) throws -> BaseTable {
        try load(file).filtered(keeping)
    }

    /// A small table for fast tests: every route whose prefix's network address lies in
    /// one of `ranges`, and a deterministic sample of about one in `sampleOneIn` of the
    /// others (`sampled`: the same prefixes on every run and in every process).
    public static func load(_ file: String = jinxRIB, keepingRanges ranges: [Prefix], sampleOneIn: Int,
                            seed: UInt64 = 0) throws -> BaseTable {
        try load(file, keeping: { p in
            ranges.contains { address(of: p, liesIn: $0) } || sampled(p, oneIn: sampleOneIn, seed: seed)
        })
    }

    /// Whether the network address of `p` lies in `range`.
    public static func address(of p: Prefix, liesIn range: Prefix) -> Bool {
        p.isV6 == range.isV6 && p.address.sharesPrefix(with: range.address, bits: Int(range.length))
    }

    /// A deterministic one-in-`n` choice of prefixes: SplitMix64 seeded by the prefix (not
    /// by Swift's per-process hash) and `seed`. `n` <= 1 keeps everything.
    public static func sampled(_ p: Prefix, oneIn n: Int, seed: UInt64) -> Bool {
        guard n > 1 else { return true }
        let key = p.address.high &* 0xD6E8_FEB8_6659_FD93 ^ p.address.low ^ UInt64(p.length) << 56
            ^ (p.isV6 ? 1 << 63 : 0)
        var g = SplitMix64(seed: key ^ seed &* 0x9E37_79B9_7F4A_7C15)
        return g.next() % UInt64(n) == 0
    }

    /// Reads a RIB: every peer's routes, then keeps the fullest peer's of each family.
    static func read(_ file: String) throws -> BaseTable {
        struct PeerRoutes {
            var asn: UInt32
            var address: IPAddress
            var v4: [(Prefix, UInt32)] = []
            var v6: [(Prefix, UInt32)] = []
        }
        var peers: [PeerRoutes] = []
        var peerIndex: [IPAddress: Int] = [:]
        var paths: [[UInt32]] = []
        var pathIndex: [[UInt32]: UInt32] = [:]
        // Entries of one RIB record often share one attributes object: a small cache by identity.
        var lastAttributes: PathAttributes?
        var lastPath: UInt32 = 0
        // Without prefetching: in debug builds PrefetchSource costs three times the decoding.
        let stream = ElementStream(reader: MRTReader(source: try Input.open(file, prefetch: false).source, name: file))
        try stream.forEach { e in
            guard e.kind == .rib else { return }
            let path: UInt32
            if let last = lastAttributes, last === e.attributes {
                path = lastPath
            } else {
                let asns = e.attributes.path?.asns ?? []
                if let id = pathIndex[asns] {
                    path = id
                } else {
                    path = UInt32(paths.count)
                    paths.append(asns)
                    pathIndex[asns] = path
                }
                lastAttributes = e.attributes
                lastPath = path
            }
            let p: Int
            if let i = peerIndex[e.peerAddress], peers[i].asn == e.peerASN {
                p = i
            } else {
                p = peers.count
                peers.append(PeerRoutes(asn: e.peerASN, address: e.peerAddress))
                peerIndex[e.peerAddress] = p
            }
            if e.prefix.isV6 { peers[p].v6.append((e.prefix, path)) } else { peers[p].v4.append((e.prefix, path)) }
        }
        guard let v4 = peers.indices.max(by: { peers[$0].v4.count < peers[$1].v4.count }) else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: file])
        }
        var sources = [Source(asn: peers[v4].asn, address: peers[v4].address, routes: peers[v4].v4.count)]
        var routes = peers[v4].v4
        if let v6 = peers.indices.max(by: { peers[$0].v6.count < peers[$1].v6.count }), !peers[v6].v6.isEmpty {
            sources.append(Source(asn: peers[v6].asn, address: peers[v6].address, routes: peers[v6].v6.count))
            routes += peers[v6].v6
        }
        return BaseTable(file: file, sources: sources, prefixes: routes.map(\.0), pathIDs: routes.map(\.1), paths: paths)
    }
}

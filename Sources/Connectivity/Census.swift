import MRT
import Registry

/// The census of a routing table: per country, its networks, address space, origin
/// ASes and international providers, as Dyn Research reported them.
///
/// Feed it RIB elements (`add`), then `finish`. The rules:
/// - a peer is full-feed when it carries at least `fullFeedShare` (80%) as many IPv4
///   prefixes as the peer carrying the most;
/// - a prefix counts when more than `visibilityShare` (50%) of the full-feed peers carry it;
/// - a prefix's country is that of the registry block holding its network address, and its
///   origin the last AS of each path that ends in an AS_SEQUENCE;
/// - walking an AS path from the origin, the first AS registered in another country than
///   the origin's is the path's international provider, and the AS before it the
///   country's frontier AS.
public struct CensusOptions: Sendable {
    public var visibilityShare = 0.5
    public var fullFeedShare = 0.8
    /// When not empty, only peers with these ASNs are read.
    public var peerASNs: Set<UInt32> = []
    public init() {}
}

public final class CensusBuilder {
    struct PeerKey: Hashable {
        var address: IPAddress
        var asn: UInt32
    }

    struct Route {
        var peer: UInt16
        var attributes: PathAttributes
    }

    public let options: CensusOptions
    private var peerIndex: [PeerKey: UInt16] = [:]
    private(set) var peers: [PeerKey] = []
    private var prefixIndex: [Prefix: Int32] = [:]
    private var prefixes: [Prefix] = []
    // Routes in arrival order, as three parallel arrays (no array per prefix).
    private var routeSlot: [Int32] = []
    private var routePeer: [UInt16] = []
    private var routeAttributes: [PathAttributes] = []
    private var lastPrefix: Prefix?
    private var lastSlot: Int32 = 0
    /// Newest RIB timestamp seen (the table's time).
    public private(set) var timestamp: UInt32 = 0
    public private(set) var routesRead = 0

    public init(options: CensusOptions = CensusOptions()) {
        self.options = options
        prefixIndex.reserveCapacity(1 << 20)
    }

    /// Adds one element; only RIB entries (R) count.
    public func add(_ e: RouteElement) {
        guard e.kind == .rib else { return }
        if !options.peerASNs.isEmpty, !options.peerASNs.contains(e.peerASN) { return }
        let key = PeerKey(address: e.peerAddress, asn: e.peerASN)
        let peer: UInt16
        if let p = peerIndex[key] {
            peer = p
        } else {
            guard peers.count < Int(UInt16.max) else { return }
            peer = UInt16(peers.count)
            peerIndex[key] = peer
            peers.append(key)
        }
        let slot: Int32
        if e.prefix == lastPrefix {
            slot = lastSlot
        } else if let s = prefixIndex[e.prefix] {
            slot = s
        } else {
            slot = Int32(prefixes.count)
            prefixIndex[e.prefix] = slot
            prefixes.append(e.prefix)
        }
        lastPrefix = e.prefix
        lastSlot = slot
        routeSlot.append(slot)
        routePeer.append(peer)
        routeAttributes.append(e.attributes)
        timestamp = max(timestamp, e.timestamp)
        routesRead += 1
    }

    /// Route indexes grouped by prefix: the routes of prefix `i` are
    /// `order[offsets[i]..<offsets[i + 1]]` (a counting sort of the arrival order).
    func groupedRoutes() -> (offsets: [Int], order: [Int32]) {
        var offsets = [Int](repeating: 0, count: prefixes.count + 1)
        for s in routeSlot { offsets[Int(s) + 1] += 1 }
        for i in 0..<prefixes.count { offsets[i + 1] += offsets[i] }
        var next = offsets
        var order = [Int32](repeating: 0, count: routeSlot.count)
        for (r, s) in routeSlot.enumerated() {
            order[next[Int(s)]] = Int32(r)
            next[Int(s)] += 1
        }
        return (offsets, order)
    }

    /// Which peers are full-feed: those with at least `fullFeedShare` of the largest
    /// peer's count of IPv4 prefixes.
    func fullFeedPeers(_ offsets: [Int], _ order: [Int32]) -> [Bool] {
        var counts = [Int](repeating: 0, count: peers.count)
        var seen = [Int](repeating: -1, count: peers.count)  // last prefix counted per peer
        for i in prefixes.indices where !prefixes[i].isV6 {
            for k in offsets[i]..<offsets[i + 1] {
                let p = Int(routePeer[Int(order[k])])
                if seen[p] != i {
                    seen[p] = i
                    counts[p] += 1
                }
            }
        }
        let most = counts.max() ?? 0
        return counts.map { most > 0 && Double($0) >= options.fullFeedShare * Double(most) }
    }

    /// Computes the census with `registry` mapping prefixes and ASes to countries.
    public func finish(registry: RegistryDatabase) -> Census {
        let (offsets, order) = groupedRoutes()
        let fullFeed = fullFeedPeers(offsets, order)
        let fullFeedCount = fullFeed.filter { $0 }.count
        var acc: [CountryCode: CountryAccumulator] = [:]
        var visible = 0
        var ffRoutes: [Route] = []
        var carriers: [UInt16] = []
        for (i, prefix) in prefixes.enumerated() {
            ffRoutes.removeAll(keepingCapacity: true)
            carriers.removeAll(keepingCapacity: true)
            for k in offsets[i]..<offsets[i + 1] {
                let r = Int(order[k])
                let peer = routePeer[r]
                guard fullFeed[Int(peer)] else { continue }
                ffRoutes.append(Route(peer: peer, attributes: routeAttributes[r]))
                if !carriers.contains(peer) { carriers.append(peer) }
            }
            guard Double(carriers.count) > options.visibilityShare * Double(fullFeedCount) else { continue }
            visible += 1
            guard let cc = registry.country(of: prefix) else { continue }
            acc[cc, default: CountryAccumulator(country: cc)].add(prefix: prefix, routes: ffRoutes, registry: registry)
        }
        let reports = acc.values.map { $0.report(registry: registry) }
            .sorted { $0.prefixes != $1.prefixes ? $0.prefixes > $1.prefixes : $0.country < $1.country }
        return Census(countries: reports, peers: peers.count, fullFeedPeers: fullFeedCount,
                      prefixes: prefixes.count, visiblePrefixes: visible, timestamp: timestamp)
    }
}

/// The result of a census.
public struct Census: Sendable {
    /// One report per country with visible prefixes, ranked by prefixes.
    public var countries: [CountryReport]
    public var peers: Int
    public var fullFeedPeers: Int
    public var prefixes: Int
    public var visiblePrefixes: Int
    /// The routing table's time (newest RIB timestamp).
    public var timestamp: UInt32

    public func report(for cc: CountryCode) -> CountryReport? { countries.first { $0.country == cc } }
}

/// Per-country sums while the census runs.
struct CountryAccumulator {
    let country: CountryCode
    var v4Prefixes = 0
    var v6Prefixes = 0
    var v4Ranges: [(UInt64, UInt64)] = []
    var origins: [UInt32: (prefixes: Int, providers: Set<UInt32>)] = [:]
    var peers = Set<UInt16>()
    var providerPrefixes: [UInt32: Int] = [:]
    var providerPaths: [UInt32: Int] = [:]
    var providerRanges: [UInt32: [(UInt64, UInt64)]] = [:]
    var dependentRanges: [UInt32: [(UInt64, UInt64)]] = [:]
    var frontier = Set<UInt32>()

    init(country: CountryCode) { self.country = country }

    mutating func add(prefix: Prefix, routes: [CensusBuilder.Route], registry: RegistryDatabase) {
        let range = RangeTable.range(prefix)
        if prefix.isV6 { v6Prefixes += 1 } else { v4Prefixes += 1; v4Ranges.append(range) }
        // Per prefix, a handful of values each: small arrays beat sets.
        var prefixProviders: [UInt32] = []
        var onAllPaths: [UInt32]?
        var prefixOrigins: [UInt32] = []
        for r in routes {
            peers.insert(r.peer)
            guard let path = r.attributes.path, !path.asns.isEmpty else { continue }
            let asns = path.asns
            // The origin is the last AS of a path that ends in an AS_SEQUENCE; a path ending
            // in an AS_SET (an aggregate) names no single origin.
            let origin = asns[asns.count - 1]
            if let last = path.segments.last, !last.kind.isSet, !prefixOrigins.contains(origin) {
                prefixOrigins.append(origin)
            }
            let home = registry.country(ofASN: origin) ?? country
            var previous = origin
            var provider: UInt32?
            var j = asns.count - 2
            while j >= 0 {
                let asn = asns[j]
                if asn != previous {
                    if let cc = registry.country(ofASN: asn), cc != home {
                        provider = asn
                        break
                    }
                    previous = asn
                }
                j -= 1
            }
            if let all = onAllPaths {
                onAllPaths = all.filter { asns.contains($0) }
            } else {
                var unique: [UInt32] = []
                for a in asns where !unique.contains(a) { unique.append(a) }
                onAllPaths = unique
            }
            if let p = provider {
                providerPaths[p, default: 0] += 1
                if !prefixProviders.contains(p) { prefixProviders.append(p) }
                frontier.insert(previous)
            }
        }
        for p in prefixProviders {
            providerPrefixes[p, default: 0] += 1
            if !prefix.isV6 { providerRanges[p, default: []].append(range) }
        }
        if !prefix.isV6, let all = onAllPaths {
            for p in all { dependentRanges[p, default: []].append(range) }
        }
        for o in prefixOrigins {
            origins[o, default: (0, [])].prefixes += 1
            origins[o]!.providers.formUnion(prefixProviders)
        }
    }

    func report(registry: RegistryDatabase) -> CountryReport {
        let total = unionSize(v4Ranges)
        let providers = providerPrefixes.map { asn, n -> ProviderShare in
            ProviderShare(asn: asn, name: registry.name(ofASN: asn), country: registry.country(ofASN: asn),
                          prefixes: n, prefixPaths: providerPaths[asn] ?? 0,
                          addressShare: total > 0 ? unionSize(providerRanges[asn] ?? []) / total : 0,
                          dependence: total > 0 ? unionSize(dependentRanges[asn] ?? []) / total : 0)
        }.sorted { ($0.prefixPaths, $1.asn) > ($1.prefixPaths, $0.asn) }
        let originReports = origins.map { asn, o in
            OriginReport(asn: asn, name: registry.name(ofASN: asn), prefixes: o.prefixes, providers: o.providers.sorted())
        }.sorted { ($0.prefixes, $1.asn) > ($1.prefixes, $0.asn) }
        return CountryReport(
            country: country, prefixes: v4Prefixes, slash24s: total / 256, ipv6Prefixes: v6Prefixes,
            originASNs: origins.keys.sorted(), peers: peers.count, providers: providers,
            frontierASNs: frontier.sorted(), risk: RiskBand(frontierASes: frontier.count), origins: originReports)
    }
}

/// Number of addresses covered by inclusive ranges, overlaps counted once.
func unionSize(_ ranges: [(UInt64, UInt64)]) -> Double {
    let sorted = ranges.sorted { $0.0 < $1.0 }
    var total: Double = 0
    var current: (UInt64, UInt64)?
    for r in sorted {
        if let c = current, r.0 <= c.1 &+ 1, c.1 != .max {
            current = (c.0, max(c.1, r.1))
        } else {
            if let c = current { total += Double(c.1 - c.0) + 1 }
            current = r
        }
    }
    if let c = current { total += Double(c.1 - c.0) + 1 }
    return total
}

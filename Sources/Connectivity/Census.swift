import Dispatch
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

    public let options: CensusOptions
    /// Loads the registry for the table's time; called once, at the first RIB entry, so
    /// that prefix countries and path walks are computed while the archive is still being
    /// read (and decompressed on the other core).
    private let loadRegistry: (UInt32) throws -> RegistryDatabase
    public private(set) var registry: RegistryDatabase?
    private var walker: PathWalker?
    private var peerIndex: [PeerKey: UInt16] = [:]
    private(set) var peers: [PeerKey] = []
    private var prefixIndex: [Prefix: Int32] = [:]
    private var prefixes: [Prefix] = []
    /// The registered country of each prefix (raw code, 0 for none).
    private var prefixCountry: [UInt16] = []
    // Routes in arrival order, as parallel arrays (no array per prefix).
    private var routeSlot: [Int32] = []
    private var routePeer: [UInt16] = []
    /// Index of the route's path walk in `walker`, -1 when the route has no AS path.
    private var routeWalk: [Int32] = []
    private var lastPrefix: Prefix?
    private var lastSlot: Int32 = 0
    private var lastPeerKey: PeerKey?
    private var lastPeer: UInt16 = 0
    private var lastAttributes: PathAttributes?
    private var lastAttributesCountry: UInt16 = 0
    private var lastWalk: Int32 = -1
    /// The table's time: the first RIB entry's timestamp.
    public private(set) var timestamp: UInt32 = 0
    public private(set) var routesRead = 0
    /// How long the phases of `finish` took: grouping, full-feed peers, countries, reports.
    public private(set) var phaseTimes: [Duration] = []

    public init(options: CensusOptions = CensusOptions(), registry: @escaping (UInt32) throws -> RegistryDatabase) {
        self.options = options
        self.loadRegistry = registry
        prefixIndex.reserveCapacity(1 << 20)
        routeSlot.reserveCapacity(1 << 20)
        routePeer.reserveCapacity(1 << 20)
        routeWalk.reserveCapacity(1 << 20)
    }

    /// Adds one element; only RIB entries (R) count.
    public func add(_ e: RouteElement) throws {
        guard e.kind == .rib else { return }
        if !options.peerASNs.isEmpty, !options.peerASNs.contains(e.peerASN) { return }
        if walker == nil {
            let db = try loadRegistry(e.timestamp)
            registry = db
            walker = PathWalker(registry: db)
            timestamp = e.timestamp
        }
        let key = PeerKey(address: e.peerAddress, asn: e.peerASN)
        let peer: UInt16
        if key == lastPeerKey {
            peer = lastPeer
        } else if let p = peerIndex[key] {
            peer = p
        } else {
            guard peers.count < Int(UInt16.max) else { return }
            peer = UInt16(peers.count)
            peerIndex[key] = peer
            peers.append(key)
        }
        lastPeerKey = key
        lastPeer = peer
        let slot: Int32
        if e.prefix == lastPrefix {
            slot = lastSlot
        } else if let s = prefixIndex[e.prefix] {
            slot = s
        } else {
            slot = Int32(prefixes.count)
            prefixIndex[e.prefix] = slot
            prefixes.append(e.prefix)
            prefixCountry.append(registry!.country(of: e.prefix)?.rawValue ?? 0)
        }
        lastPrefix = e.prefix
        lastSlot = slot
        routeSlot.append(slot)
        routePeer.append(peer)
        let cc = prefixCountry[Int(slot)]
        // Consecutive routes often share their attribute set (one object, see AttributeCache).
        let walk: Int32
        if e.attributes === lastAttributes, lastAttributesCountry == cc {
            walk = lastWalk
        } else {
            walk = walker!.walk(e.attributes, country: CountryCode(rawValue: cc)) ?? -1
            lastAttributes = e.attributes
            lastAttributesCountry = cc
            lastWalk = walk
        }
        routeWalk.append(walk)
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

    /// Computes the census; nil when no RIB entry was added (no registry was loaded).
    public func finish() -> Census? {
        guard let registry, let walker else { return nil }
        let t0 = ContinuousClock.now
        let (offsets, order) = groupedRoutes()
        let t1 = ContinuousClock.now
        let fullFeed = fullFeedPeers(offsets, order)
        let t2 = ContinuousClock.now
        let fullFeedCount = fullFeed.filter { $0 }.count
        // Countries are summed in two halves of the prefixes on both cores, then merged.
        let parts = 2
        let partials = ParallelResults<([UInt16: CountryAccumulator], Int)>(count: parts, initial: ([:], 0))
        let prefixes = self.prefixes, prefixCountry = self.prefixCountry, routePeer = self.routePeer
        let routeWalk = self.routeWalk, peerCount = peers.count, visibilityShare = options.visibilityShare
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            let range = (prefixes.count * part / parts)..<(prefixes.count * (part + 1) / parts)
            var acc: [UInt16: CountryAccumulator] = [:]
            var visible = 0
            var routes: [(peer: UInt16, walk: Int32)] = []
            var carriers: [UInt16] = []
            var scratch = CensusScratch()
            for i in range {
                routes.removeAll(keepingCapacity: true)
                carriers.removeAll(keepingCapacity: true)
                for k in offsets[i]..<offsets[i + 1] {
                    let r = Int(order[k])
                    let peer = routePeer[r]
                    guard fullFeed[Int(peer)] else { continue }
                    routes.append((peer, routeWalk[r]))
                    if !carriers.contains(peer) { carriers.append(peer) }
                }
                guard Double(carriers.count) > visibilityShare * Double(fullFeedCount) else { continue }
                visible += 1
                let cc = prefixCountry[i]
                guard cc != 0 else { continue }
                acc[cc, default: CountryAccumulator(country: CountryCode(rawValue: cc), peerCount: peerCount)]
                    .add(prefix: prefixes[i], routes: routes, walker: walker, scratch: &scratch)
            }
            partials.set(part, (acc, visible))
        }
        var acc = partials.values[0].0
        var visible = partials.values[0].1
        for (other, v) in partials.values.dropFirst() {
            visible += v
            for (cc, a) in other {
                if acc[cc] == nil { acc[cc] = a } else { acc[cc]!.merge(a) }
            }
        }
        let t3 = ContinuousClock.now
        let accumulators = Array(acc.values)
        let built = ParallelResults<CountryReport?>(count: accumulators.count, initial: nil)
        DispatchQueue.concurrentPerform(iterations: accumulators.count) { i in
            built.set(i, accumulators[i].report(registry: registry))
        }
        let reports = built.values.compactMap { $0 }
            .sorted { $0.prefixes != $1.prefixes ? $0.prefixes > $1.prefixes : $0.country < $1.country }
        let t4 = ContinuousClock.now
        phaseTimes = [t1 - t0, t2 - t1, t3 - t2, t4 - t3]
        return Census(countries: reports, peers: peers.count, fullFeedPeers: fullFeedCount,
                      prefixes: prefixes.count, visiblePrefixes: visible, timestamp: timestamp)
    }
}

/// One slot per parallel task; each task writes only its own slot. The slots are raw
/// memory allocated up front, so concurrent writes to different slots touch no shared
/// array header (no uniqueness check, no exclusivity access).
final class ParallelResults<T>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<T>
    init(count: Int, initial: T) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: initial)
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
    func set(_ i: Int, _ v: T) { slots[i] = v }
    /// Read after every task has finished.
    var values: [T] { Array(slots) }
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

/// Walks AS paths from the origin to the first AS registered in another country, once
/// per distinct attribute set: routes share `PathAttributes` objects when their attribute
/// blocks are identical, so a walk is looked up by object identity.
final class PathWalker: @unchecked Sendable {  // written while reading, only read in finish()
    struct Walk {
        var origin: UInt32
        /// False when the path ends in an AS_SET: no single origin.
        var hasOrigin: Bool
        /// The international provider, 0 if none.
        var provider: UInt32
        /// The AS before the provider on the walk (the country's frontier AS).
        var frontier: UInt32
        /// The path's distinct ASNs, in `asnPool[asnStart..<asnEnd]`.
        var asnStart: Int32
        var asnEnd: Int32
    }

    let registry: RegistryDatabase
    private(set) var walks: [Walk] = []
    private var memo: [ObjectIdentifier: Int32] = [:]
    private(set) var asnPool: [UInt32] = []
    private var buffer: [UInt32] = []
    /// Keeps memoised objects alive so that their identities are not reused.
    private var keep: [PathAttributes] = []

    init(registry: RegistryDatabase) {
        self.registry = registry
        memo.reserveCapacity(1 << 18)
        buffer.reserveCapacity(64)
    }

    /// The walk of a path (an index into `walks`), or nil when there is no AS path.
    func walk(_ attributes: PathAttributes, country: CountryCode) -> Int32? {
        let id = ObjectIdentifier(attributes)
        if let w = memo[id] { return w }
        guard let endsInSet = attributes.flattenedPath(into: &buffer), !buffer.isEmpty else { return nil }
        let origin = buffer[buffer.count - 1]
        let originCountry = registry.country(ofASN: origin)
        let home = originCountry ?? country
        var previous = origin
        var provider: UInt32 = 0
        var j = buffer.count - 2
        while j >= 0 {
            let asn = buffer[j]
            if asn != previous {
                if let cc = registry.country(ofASN: asn), cc != home {
                    provider = asn
                    break
                }
                previous = asn
            }
            j -= 1
        }
        let start = asnPool.count
        for a in buffer where !asnPool[start...].contains(a) { asnPool.append(a) }
        walks.append(Walk(origin: origin, hasOrigin: !endsInSet, provider: provider, frontier: previous,
                          asnStart: Int32(start), asnEnd: Int32(asnPool.count)))
        let index = Int32(walks.count - 1)
        // The walk depends on the prefix's country only when the origin's is unknown.
        if originCountry != nil {
            memo[id] = index
            keep.append(attributes)
        }
        return index
    }
}

/// Buffers reused from prefix to prefix, so that the census allocates per country, not per route.
struct CensusScratch {
    var providers: [UInt32] = []
    var onAllPaths: [UInt32] = []
    var origins: [UInt32] = []
    init() {
        providers.reserveCapacity(8)
        onAllPaths.reserveCapacity(64)
        origins.reserveCapacity(4)
    }
}

/// Per-country sums while the census runs.
struct CountryAccumulator {
    let country: CountryCode
    var v4Prefixes = 0
    var v6Prefixes = 0
    var v4Ranges: [(UInt64, UInt64)] = []
    var origins: [UInt32: (prefixes: Int, providers: Set<UInt32>)] = [:]
    /// Bitmap of the full-feed peers that carry some prefix of the country.
    var peers: [UInt64]
    var providerPrefixes: [UInt32: Int] = [:]
    var providerPaths: [UInt32: Int] = [:]
    var providerRanges: [UInt32: [(UInt64, UInt64)]] = [:]
    /// Per IPv4 prefix, the ASes on every one of its paths (for dependence), flat.
    var onAllRanges: [(UInt64, UInt64)] = []
    var onAllEnds: [Int32] = []
    var onAllASNs: [UInt32] = []
    var frontier = Set<UInt32>()

    init(country: CountryCode, peerCount: Int) {
        self.country = country
        peers = [UInt64](repeating: 0, count: (peerCount + 63) / 64)
    }

    mutating func add(prefix: Prefix, routes: [(peer: UInt16, walk: Int32)], walker: PathWalker,
                      scratch s: inout CensusScratch) {
        let range = RangeTable.range(prefix)
        if prefix.isV6 { v6Prefixes += 1 } else { v4Prefixes += 1; v4Ranges.append(range) }
        s.providers.removeAll(keepingCapacity: true)
        s.origins.removeAll(keepingCapacity: true)
        s.onAllPaths.removeAll(keepingCapacity: true)
        var first = true
        walker.asnPool.withUnsafeBufferPointer { pool in
            for r in routes {
                peers[Int(r.peer) >> 6] |= 1 << UInt64(r.peer & 63)
                guard r.walk >= 0 else { continue }
                let w = walker.walks[Int(r.walk)]
                if w.hasOrigin, !s.origins.contains(w.origin) { s.origins.append(w.origin) }
                let asns = UnsafeBufferPointer(rebasing: pool[Int(w.asnStart)..<Int(w.asnEnd)])
                if first {
                    s.onAllPaths.append(contentsOf: asns)
                    first = false
                } else {
                    s.onAllPaths.removeAll { !asns.contains($0) }
                }
                if w.provider != 0 {
                    providerPaths[w.provider, default: 0] += 1
                    if !s.providers.contains(w.provider) { s.providers.append(w.provider) }
                    frontier.insert(w.frontier)
                }
            }
        }
        for p in s.providers {
            providerPrefixes[p, default: 0] += 1
            if !prefix.isV6 { providerRanges[p, default: []].append(range) }
        }
        if !prefix.isV6, !s.onAllPaths.isEmpty {
            onAllRanges.append(range)
            onAllASNs.append(contentsOf: s.onAllPaths)
            onAllEnds.append(Int32(onAllASNs.count))
        }
        for o in s.origins {
            origins[o, default: (0, [])].prefixes += 1
            if !s.providers.isEmpty { origins[o]!.providers.formUnion(s.providers) }
        }
    }

    /// Adds another part's sums for the same country.
    mutating func merge(_ o: CountryAccumulator) {
        v4Prefixes += o.v4Prefixes
        v6Prefixes += o.v6Prefixes
        v4Ranges += o.v4Ranges
        for (asn, x) in o.origins {
            origins[asn, default: (0, [])].prefixes += x.prefixes
            origins[asn]!.providers.formUnion(x.providers)
        }
        for i in peers.indices { peers[i] |= o.peers[i] }
        providerPrefixes.merge(o.providerPrefixes, uniquingKeysWith: +)
        providerPaths.merge(o.providerPaths, uniquingKeysWith: +)
        providerRanges.merge(o.providerRanges, uniquingKeysWith: +)
        let base = Int32(onAllASNs.count)
        onAllRanges += o.onAllRanges
        onAllASNs += o.onAllASNs
        onAllEnds += o.onAllEnds.map { $0 + base }
        frontier.formUnion(o.frontier)
    }

    func report(registry: RegistryDatabase) -> CountryReport {
        let total = unionSize(v4Ranges)
        // Dependence: the address space of prefixes with the provider on all of their paths.
        var dependent: [UInt32: [(UInt64, UInt64)]] = [:]
        var start = 0
        for (i, end) in onAllEnds.enumerated() {
            for k in start..<Int(end) where providerPrefixes[onAllASNs[k]] != nil {
                dependent[onAllASNs[k], default: []].append(onAllRanges[i])
            }
            start = Int(end)
        }
        let providers = providerPrefixes.map { asn, n -> ProviderShare in
            ProviderShare(asn: asn, name: registry.name(ofASN: asn), country: registry.country(ofASN: asn),
                          prefixes: n, prefixPaths: providerPaths[asn] ?? 0,
                          addressShare: total > 0 ? unionSize(providerRanges[asn] ?? []) / total : 0,
                          dependence: total > 0 ? unionSize(dependent[asn] ?? []) / total : 0)
        }.sorted { ($0.prefixPaths, $1.asn) > ($1.prefixPaths, $0.asn) }
        let originReports = origins.map { asn, o in
            OriginReport(asn: asn, name: registry.name(ofASN: asn), prefixes: o.prefixes, providers: o.providers.sorted())
        }.sorted { ($0.prefixes, $1.asn) > ($1.prefixes, $0.asn) }
        return CountryReport(
            country: country, prefixes: v4Prefixes, slash24s: total / 256, ipv6Prefixes: v6Prefixes,
            originASNs: origins.keys.sorted(), peers: peers.reduce(0) { $0 + $1.nonzeroBitCount }, providers: providers,
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

import MRT
import Registry

/// The routes of a census by prefix slot, as the summing reads them: read concurrently by
/// one `CountrySummer` per thread, never written.
protocol CensusTable: Sendable {
    /// The prefix of each slot.
    var prefixes: [Prefix] { get }
    var fullFeedCount: Int { get }
    var peerCount: Int { get }
    /// Which prefixes count (`counts`).
    var rule: VisibilityRule { get }
    /// Appends the routes of full-feed peers for the prefix of slot `i`, in peer order.
    func fullFeedRoutes(ofSlot i: Int, into routes: inout ScratchList<CensusRoute>)
}

/// A route as the census sums it: its peer and its path's walk (`PathWalker`). The walk is
/// of the whole path, or, with a `head`, of the path after its first AS, `head` (a dense AS
/// id) being that first AS: then the route's provider is `PathWalker.extended`, and the
/// ASes on its path are the walk's and `head`. (Routes held in memory share their paths'
/// rests, so that the census walks the rests once, not every peer's path.)
struct CensusRoute {
    var peer: UInt16
    /// Index in the walker's `walks`; -1 when the route has no AS path.
    var walk: Int32
    /// -1 when `walk` is the whole path's.
    var head: Int32 = -1

    /// The walk and head as one value, to tell distinct paths apart.
    var pathKey: UInt64 { UInt64(UInt32(bitPattern: walk)) << 32 | UInt64(UInt32(bitPattern: head)) }
}

/// The routes of a census read as RIB elements, grouped by prefix.
struct GroupedTable: CensusTable {
    let prefixes: [Prefix]
    /// The routes of prefix `i` are `order[offsets[i]..<offsets[i + 1]]`.
    let offsets: [Int]
    let order: [Int32]
    let routePeer: [UInt16]
    let routeWalk: [Int32]
    let fullFeed: [Bool]
    let fullFeedCount: Int
    let peerCount: Int
    let rule: VisibilityRule

    func fullFeedRoutes(ofSlot i: Int, into routes: inout ScratchList<CensusRoute>) {
        for k in offsets[i]..<offsets[i + 1] {
            let r = Int(order[k])
            let peer = routePeer[r]
            guard fullFeed[Int(peer)] else { continue }
            routes.append(CensusRoute(peer: peer, walk: routeWalk[r]))
        }
    }
}

/// An IPv4 range tagged with the dense id of an AS.
struct TaggedRange {
    var id: Int32
    var first: UInt64
    var last: UInt64
}

/// Sums one country at a time, from its prefixes to its report. Per-AS figures live in
/// flat arrays indexed by the path walker's dense ASN ids and are reset after each
/// country through the lists of ids touched, so no ASN is hashed per route.
///
/// One summer per thread: it owns its scratch memory (`deallocate` it when done); the
/// table and the walker's results are only read.
struct CountrySummer<Table: CensusTable> {
    let table: Table
    let registry: RegistryDatabase
    // The walker's results, held directly so that hot loops touch no class property.
    private let walks: [PathWalker.Walk]
    private let pool: [Int32]
    private let isProvider: [Bool]
    private let asns: [UInt32]
    private let countries: [UInt16]

    // Per ASN id, for the current country.
    private let providerPrefixes: ScratchArray<Int32>
    private let providerPaths: ScratchArray<Int32>
    private let originPrefixes: ScratchArray<Int32>
    private let isFrontier: ScratchArray<Bool>
    private var touchedProviders = ScratchList<Int32>()
    private var touchedOrigins = ScratchList<Int32>()
    private var frontiers = ScratchList<Int32>()
    // Per ASN id, for the current prefix: how many of its distinct walks contain the AS.
    private let stamp: ScratchArray<Int32>
    private let onWalks: ScratchArray<Int32>
    private var generation: Int32 = 0
    /// Per ASN id, where its ranges go when they are grouped for a report.
    private let groupStart: ScratchArray<Int32>

    // The current country's IPv4 ranges, in prefix order: all of them, those whose paths
    // go through each provider, and those with an AS on all of their paths (kept only for
    // ASes that are some path's provider); and its (origin, provider) pairs.
    private var v4Ranges = ScratchList<(UInt64, UInt64)>(capacity: 1 << 10)
    private var providerRanges = ScratchList<TaggedRange>(capacity: 1 << 10)
    private var onAllRanges = ScratchList<TaggedRange>(capacity: 1 << 10)
    private var originProviders = ScratchList<UInt64>(capacity: 1 << 10)
    private let peers: ScratchArray<UInt64>

    // Per prefix.
    private var routes = ScratchList<CensusRoute>()
    private let peerStamp: ScratchArray<Int32>
    /// The distinct paths (`CensusRoute.pathKey`) of the prefix.
    private var distinctWalks = ScratchList<UInt64>()
    private var prefixProviders = ScratchList<Int32>()
    private var prefixOrigins = ScratchList<Int32>()

    init(table: Table, walker: PathWalker, registry: RegistryDatabase) {
        self.table = table
        self.registry = registry
        walks = walker.walks
        pool = walker.pool
        isProvider = walker.isProvider
        asns = walker.asns
        countries = walker.countries
        let n = asns.count
        providerPrefixes = ScratchArray(count: n, value: 0)
        providerPaths = ScratchArray(count: n, value: 0)
        originPrefixes = ScratchArray(count: n, value: 0)
        isFrontier = ScratchArray(count: n, value: false)
        stamp = ScratchArray(count: n, value: -1)
        onWalks = ScratchArray(count: n, value: 0)
        groupStart = ScratchArray(count: n, value: 0)
        peers = ScratchArray(count: (table.peerCount + 63) / 64, value: 0)
        peerStamp = ScratchArray(count: table.peerCount, value: -1)
    }

    func deallocate() {
        for a in [providerPrefixes, providerPaths, originPrefixes, stamp, onWalks, groupStart, peerStamp] {
            a.deallocate()
        }
        isFrontier.deallocate()
        peers.deallocate()
        touchedProviders.deallocate()
        touchedOrigins.deallocate()
        frontiers.deallocate()
        v4Ranges.deallocate()
        providerRanges.deallocate()
        onAllRanges.deallocate()
        originProviders.deallocate()
        routes.deallocate()
        distinctWalks.deallocate()
        prefixProviders.deallocate()
        prefixOrigins.deallocate()
    }

    /// Collects the full-feed routes of prefix `i` into `routes`; true when the prefix
    /// counts (`VisibilityRule.counts` of its distinct full-feed carriers), that is, in a
    /// snapshot, when it is visible.
    private mutating func visibleRoutes(_ i: Int) -> Bool {
        routes.removeAll()
        generation += 1
        var carriers = 0
        table.fullFeedRoutes(ofSlot: i, into: &routes)
        for r in routes.elements where peerStamp[Int(r.peer)] != generation {
            peerStamp[Int(r.peer)] = generation
            carriers += 1
        }
        return table.rule.counts(fullFeedCarriers: carriers, fullFeedPeers: table.fullFeedCount)
    }

    /// How many of `prefixIndexes` are visible (for prefixes without a country).
    mutating func countVisible(_ prefixIndexes: ArraySlice<Int32>) -> Int {
        var n = 0
        for i in prefixIndexes where visibleRoutes(Int(i)) { n += 1 }
        return n
    }

    /// The report of one country from its prefixes, and how many of them are visible;
    /// nil report when none is.
    mutating func sum(country: CountryCode, prefixIndexes: ArraySlice<Int32>) -> (CountryReport?, Int) {
        var v4 = 0, v6 = 0
        for i in prefixIndexes {
            let i = Int(i)
            guard visibleRoutes(i) else { continue }
            let prefix = table.prefixes[i]
            if prefix.isV6 { v6 += 1 } else { v4 += 1 }
            add(prefix)
        }
        guard v4 + v6 > 0 else { return (nil, 0) }
        let report = makeReport(country: country, v4Prefixes: v4, v6Prefixes: v6)
        reset()
        return (report, v4 + v6)
    }

    /// Adds the routes in `routes` of one visible prefix.
    private mutating func add(_ prefix: Prefix) {
        let range = RangeTable.range(prefix)
        if !prefix.isV6 { v4Ranges.append(range) }
        distinctWalks.removeAll()
        prefixProviders.removeAll()
        prefixOrigins.removeAll()
        for r in routes.elements {
            peers[Int(r.peer) >> 6] |= 1 << UInt64(r.peer & 63)
            guard r.walk >= 0 else { continue }
            let w = walks[Int(r.walk)]
            let (provider, frontier) = r.head < 0 ? (w.provider, w.frontier)
                : PathWalker.extended(w, head: r.head, countries: countries)
            if provider >= 0 {
                let p = Int(provider)
                if providerPaths[p] == 0 { touchedProviders.append(provider) }
                providerPaths[p] += 1
                if !prefixProviders.contains(provider) { prefixProviders.append(provider) }
                if !isFrontier[Int(frontier)] {
                    isFrontier[Int(frontier)] = true
                    frontiers.append(frontier)
                }
            }
            if w.origin >= 0, !prefixOrigins.contains(w.origin) { prefixOrigins.append(w.origin) }
            distinctWalks.append(r.pathKey)
        }
        distinctWalks.sortAndRemoveDuplicates()
        for p in prefixProviders.elements {
            providerPrefixes[Int(p)] += 1
            if !prefix.isV6 { providerRanges.append(TaggedRange(id: p, first: range.first, last: range.last)) }
        }
        for o in prefixOrigins.elements {
            if originPrefixes[Int(o)] == 0 { touchedOrigins.append(o) }
            originPrefixes[Int(o)] += 1
            for p in prefixProviders.elements {
                let pair = UInt64(UInt32(o)) << 32 | UInt64(UInt32(p))
                // Neighbouring prefixes often repeat a pair; the rest are made distinct in the report.
                if originProviders.isEmpty || originProviders[originProviders.count - 1] != pair {
                    originProviders.append(pair)
                }
            }
        }
        // The ASes on every path of the prefix: counted per distinct path.
        guard !prefix.isV6, !distinctWalks.isEmpty else { return }
        generation += 1
        let g = generation
        pool.withUnsafeBufferPointer { pool in
            /// Calls `body` with each distinct AS of the path `key`.
            func forEachAS(_ key: UInt64, _ body: (Int32) -> Void) {
                let w = walks[Int(UInt32(truncatingIfNeeded: key >> 32))]
                let head = Int32(bitPattern: UInt32(truncatingIfNeeded: key))
                var headOnPath = head < 0
                for k in Int(w.poolStart)..<Int(w.poolEnd) {
                    let a = pool[k]
                    if a == head { headOnPath = true }
                    body(a)
                }
                if !headOnPath { body(head) }
            }
            for key in distinctWalks.elements {
                forEachAS(key) { a in
                    if stamp[Int(a)] != g {
                        stamp[Int(a)] = g
                        onWalks[Int(a)] = 1
                    } else {
                        onWalks[Int(a)] += 1
                    }
                }
            }
            let all = Int32(distinctWalks.count)
            forEachAS(distinctWalks[0]) { a in
                guard onWalks[Int(a)] == all, isProvider[Int(a)] else { return }
                onAllRanges.append(TaggedRange(id: a, first: range.first, last: range.last))
            }
        }
    }

    /// The union size of each provider's ranges in `list`, by provider id; ranges of other
    /// ASes are left out. Grouping keeps each provider's ranges in prefix order.
    private func providerUnionSizes(_ list: ScratchList<TaggedRange>) -> [Int32: Double] {
        var counts: [Int32] = []
        for (n, p) in touchedProviders.elements.enumerated() {
            groupStart[Int(p)] = Int32(n)
            counts.append(0)
        }
        for r in list.elements where providerPrefixes[Int(r.id)] > 0 { counts[Int(groupStart[Int(r.id)])] += 1 }
        var groups = counts.map { c -> [(UInt64, UInt64)] in
            var g: [(UInt64, UInt64)] = []
            g.reserveCapacity(Int(c))
            return g
        }
        for r in list.elements where providerPrefixes[Int(r.id)] > 0 {
            groups[Int(groupStart[Int(r.id)])].append((r.first, r.last))
        }
        var sizes: [Int32: Double] = [:]
        for (n, p) in touchedProviders.elements.enumerated() { sizes[p] = unionSize(groups[n]) }
        return sizes
    }

    private func makeReport(country: CountryCode, v4Prefixes: Int, v6Prefixes: Int) -> CountryReport {
        let total = unionSize(Array(v4Ranges.elements))
        let shares = providerUnionSizes(providerRanges)
        // Dependence: the address space of prefixes with the provider on all of their paths.
        let dependence = providerUnionSizes(onAllRanges)
        let providers = touchedProviders.elements.map { p -> ProviderShare in
            let asn = asns[Int(p)]
            return ProviderShare(asn: asn, name: registry.name(ofASN: asn), country: registry.country(ofASN: asn),
                                 prefixes: Int(providerPrefixes[Int(p)]), prefixPaths: Int(providerPaths[Int(p)]),
                                 addressShare: total > 0 ? shares[p, default: 0] / total : 0,
                                 dependence: total > 0 ? dependence[p, default: 0] / total : 0)
        }.sorted { ($0.prefixPaths, $1.asn) > ($1.prefixPaths, $0.asn) }
        // (origin, provider) pairs, sorted and distinct, give each origin's providers.
        var pairs = Array(originProviders.elements)
        pairs.sort()
        var providersOf: [Int32: [UInt32]] = [:]
        var previous: UInt64?
        for pair in pairs where pair != previous {
            previous = pair
            providersOf[Int32(truncatingIfNeeded: pair >> 32), default: []].append(asns[Int(UInt32(truncatingIfNeeded: pair))])
        }
        let origins = touchedOrigins.elements.map { o -> OriginReport in
            let asn = asns[Int(o)]
            return OriginReport(asn: asn, name: registry.name(ofASN: asn), prefixes: Int(originPrefixes[Int(o)]),
                                providers: (providersOf[o] ?? []).sorted())
        }.sorted { ($0.prefixes, $1.asn) > ($1.prefixes, $0.asn) }
        var peerCount = 0
        for i in 0..<peers.count { peerCount += peers[i].nonzeroBitCount }
        return CountryReport(
            country: country, prefixes: v4Prefixes, slash24s: total / 256, ipv6Prefixes: v6Prefixes,
            originASNs: origins.map(\.asn).sorted(), peers: peerCount,
            providers: providers, frontierASNs: frontiers.elements.map { asns[Int($0)] }.sorted(),
            risk: RiskBand(frontierASes: frontiers.count), origins: origins)
    }

    /// Clears what `makeReport` read, touching only the ids the country used.
    private mutating func reset() {
        for p in touchedProviders.elements {
            providerPrefixes[Int(p)] = 0
            providerPaths[Int(p)] = 0
        }
        for o in touchedOrigins.elements { originPrefixes[Int(o)] = 0 }
        for f in frontiers.elements { isFrontier[Int(f)] = false }
        touchedProviders.removeAll()
        touchedOrigins.removeAll()
        frontiers.removeAll()
        v4Ranges.removeAll()
        providerRanges.removeAll()
        onAllRanges.removeAll()
        originProviders.removeAll()
        for i in 0..<peers.count { peers[i] = 0 }
    }
}

/// Number of addresses covered by inclusive ranges, overlaps counted once. Ranges in
/// ascending order (as a RIB lists its prefixes) are not sorted again.
func unionSize(_ ranges: [(UInt64, UInt64)]) -> Double {
    var ascending = true
    for i in ranges.indices.dropFirst() where ranges[i].0 < ranges[i - 1].0 {
        ascending = false
        break
    }
    return unionSizeOfSorted(ascending ? ranges : ranges.sorted { $0.0 < $1.0 })
}

private func unionSizeOfSorted(_ sorted: [(UInt64, UInt64)]) -> Double {
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

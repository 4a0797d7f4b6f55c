import Dispatch
import MRT
import Registry

/// The census of a routing table: per country, its networks, address space, origin
/// ASes and international providers, as Dyn Research reported them.
///
/// Feed it RIB elements (`add(_:)` of a `RouteElement`) or a table held in memory
/// (`add(_:)` of `InternedRoutes`, e.g. the monitor's routing state), then `finish`. The rules:
/// - which peers are full-feed and which prefixes count: `VisibilityRule` (`rule`), the
///   rule the monitor shares;
/// - a prefix's country is that of the registry block holding its network address, and its
///   origin the last AS of each path that ends in an AS_SEQUENCE;
/// - a path's international provider and the country's frontier AS: `ProviderWalk`.
public struct CensusOptions: Sendable {
    /// Which peers are full-feed and which prefixes count (in a snapshot, every counted
    /// prefix is visible: `retainedShare` is not read).
    public var rule = VisibilityRule()
    /// `rule.visibilityShare`: a prefix counts when more than this share of full-feed peers carry it.
    public var visibilityShare: Double {
        get { rule.visibilityShare }
        set { rule.visibilityShare = newValue }
    }
    /// `rule.fullFeedShare`: a peer is full-feed with at least this share of the largest peer's IPv4 prefixes.
    public var fullFeedShare: Double {
        get { rule.fullFeedShare }
        set { rule.fullFeedShare = newValue }
    }
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
    var walker: PathWalker?
    private var peerIndex: [PeerKey: UInt16] = [:]
    /// Peers with at least one route read: ids `0..<peerCount` in `routePeer`.
    var peerCount = 0
    /// Whether a table in memory was read (`add(_:)` of `InternedRoutes`): no element may follow.
    var readInterned = false
    /// The table in memory that was read, as the summing reads it (its routes are not copied).
    var interned: InternedTable?
    /// Slot of each prefix; not kept while prefixes arrive in ascending order (as one TDv2
    /// RIB lists them: none can repeat), and built at the first prefix out of order.
    private var prefixIndex: [Prefix: Int32] = [:]
    private var prefixesAscending = true
    private(set) var prefixes: [Prefix] = []
    /// The registered country of each prefix (raw code, 0 for none).
    private(set) var prefixCountry: [UInt16] = []
    // Routes in arrival order, as parallel arrays (no array per prefix).
    var routeSlot: [Int32] = []
    var routePeer: [UInt16] = []
    /// Index of the route's path walk in `walker`, -1 when the route has no AS path.
    var routeWalk: [Int32] = []
    private var lastPrefix: Prefix?
    private var lastSlot: Int32 = 0
    private var lastPeerKey: PeerKey?
    private var lastPeer: UInt16 = 0
    private var lastAttributes: PathAttributes?
    private var lastAttributesCountry: UInt16 = 0
    private var lastWalk: Int32 = -1
    /// The table's time: the first RIB entry's timestamp (or the time given with the registry).
    public private(set) var timestamp: UInt32 = 0
    public internal(set) var routesRead = 0
    /// How long the phases of `finish` took: grouping, full-feed peers, ordering by country, summing.
    public private(set) var phaseTimes: [Duration] = []

    public init(options: CensusOptions = CensusOptions(), registry: @escaping (UInt32) throws -> RegistryDatabase) {
        self.options = options
        self.loadRegistry = registry
    }

    /// A census of a table already read, with the registry for its time `time` (for a table
    /// held in memory: `add(_:)` of `InternedRoutes`).
    public convenience init(options: CensusOptions = CensusOptions(), registry: RegistryDatabase, time: UInt32) {
        self.init(options: options) { _ in registry }
        self.registry = registry
        walker = PathWalker(registry: registry)
        timestamp = time
    }

    /// Adds one element; only RIB entries (R) count.
    public func add(_ e: RouteElement) throws {
        guard e.kind == .rib else { return }
        precondition(!readInterned, "a census builder reads one table")
        if !options.peerASNs.isEmpty, !options.peerASNs.contains(e.peerASN) { return }
        if walker == nil {
            routeSlot.reserveCapacity(1 << 20)
            routePeer.reserveCapacity(1 << 20)
            routeWalk.reserveCapacity(1 << 20)
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
            guard let p = newPeer() else { return }
            peer = p
            peerIndex[key] = peer
        }
        lastPeerKey = key
        lastPeer = peer
        let slot: Int32
        if e.prefix == lastPrefix {
            slot = lastSlot
        } else if prefixesAscending, prefixes.last.map({ $0 < e.prefix }) ?? true {
            slot = newSlot(e.prefix)
        } else {
            if prefixesAscending {
                prefixesAscending = false
                for (i, p) in prefixes.enumerated() { prefixIndex[p] = Int32(i) }
            }
            if let s = prefixIndex[e.prefix] {
                slot = s
            } else {
                slot = newSlot(e.prefix)
                prefixIndex[e.prefix] = slot
            }
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

    /// A new peer id; nil when there are as many as a route can name.
    func newPeer() -> UInt16? {
        guard peerCount < Int(UInt16.max) else { return nil }
        peerCount += 1
        return UInt16(peerCount - 1)
    }

    func newSlot(_ prefix: Prefix) -> Int32 {
        prefixes.append(prefix)
        prefixCountry.append(registry!.country(of: prefix)?.rawValue ?? 0)
        return Int32(prefixes.count - 1)
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

    /// Which peers are full-feed (`VisibilityRule.isFullFeed`), from each peer's count of
    /// distinct IPv4 prefixes.
    func fullFeedPeers(_ offsets: [Int], _ order: [Int32]) -> [Bool] {
        var counts = [Int](repeating: 0, count: peerCount)
        var seen = [Int](repeating: -1, count: peerCount)  // last prefix counted per peer
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
        let rule = options.rule
        return counts.map { rule.isFullFeed(prefixes: $0, largest: most) }
    }

    /// Maps every prefix of the table to its country again and says how long that took:
    /// the share of the census spent in registry lookups (`--timing`).
    public func timePrefixMapping() -> (prefixes: Int, duration: Duration) {
        guard let registry else { return (0, .zero) }
        let t0 = ContinuousClock.now
        var found = 0
        for p in prefixes where registry.country(of: p) != nil { found += 1 }
        let elapsed = ContinuousClock.now - t0
        precondition(found <= prefixes.count)  // keeps the loop from being optimised away
        return (prefixes.count, elapsed)
    }

    /// Computes the census; nil when no RIB entry was added (no registry was loaded).
    public func finish() -> Census? {
        guard let registry, let walker else { return nil }
        if let interned { return summarise(interned, registry: registry, walker: walker, phases: [.zero, .zero]) }
        let t0 = ContinuousClock.now
        let (offsets, order) = groupedRoutes()
        let t1 = ContinuousClock.now
        let fullFeed = fullFeedPeers(offsets, order)
        let t2 = ContinuousClock.now
        let table = GroupedTable(prefixes: prefixes, offsets: offsets, order: order, routePeer: routePeer,
                                 routeWalk: routeWalk, fullFeed: fullFeed,
                                 fullFeedCount: fullFeed.filter { $0 }.count, peerCount: peerCount,
                                 rule: options.rule)
        return summarise(table, registry: registry, walker: walker, phases: [t1 - t0, t2 - t1])
    }

    /// The census of `table`: its prefixes ordered by country, the countries summed on both
    /// cores. `phases`: how long grouping the routes and finding the full-feed peers took.
    private func summarise<Table: CensusTable>(_ table: Table, registry: RegistryDatabase, walker: PathWalker,
                                               phases: [Duration]) -> Census {
        let t2 = ContinuousClock.now
        // Prefix indexes by country (a counting sort on the raw country code).
        var countryOffsets = [Int](repeating: 0, count: Int(UInt16.max) + 2)
        for cc in prefixCountry { countryOffsets[Int(cc) + 1] += 1 }
        for c in 0...Int(UInt16.max) { countryOffsets[c + 1] += countryOffsets[c] }
        var next = countryOffsets
        var byCountry = [Int32](repeating: 0, count: prefixes.count)
        for (i, cc) in prefixCountry.enumerated() {
            byCountry[next[Int(cc)]] = Int32(i)
            next[Int(cc)] += 1
        }
        let codes = (0...Int(UInt16.max)).filter { countryOffsets[$0 + 1] > countryOffsets[$0] }
        // Countries are summed whole on both cores, the largest first, each to the less loaded core.
        let parts = 2
        var work = [[Int]](repeating: [], count: parts)
        var load = [Int](repeating: 0, count: parts)
        for c in codes.sorted(by: { countryOffsets[$0 + 1] - countryOffsets[$0] > countryOffsets[$1 + 1] - countryOffsets[$1] }) {
            let least = load.indices.min { load[$0] < load[$1] }!
            work[least].append(c)
            load[least] += countryOffsets[c + 1] - countryOffsets[c]
        }
        let t3 = ContinuousClock.now
        let assignments = work, prefixesByCountry = byCountry, bounds = countryOffsets
        let results = ParallelResults<([CountryReport], Int)>(count: parts, initial: ([], 0))
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            var summer = CountrySummer(table: table, walker: walker, registry: registry)
            defer { summer.deallocate() }
            var reports: [CountryReport] = []
            var visible = 0
            for c in assignments[part] {
                let indexes = prefixesByCountry[bounds[c]..<bounds[c + 1]]
                if c == 0 {
                    visible += summer.countVisible(indexes)
                } else {
                    let (report, v) = summer.sum(country: CountryCode(rawValue: UInt16(c)), prefixIndexes: indexes)
                    visible += v
                    if let report { reports.append(report) }
                }
            }
            results.set(part, (reports, visible))
        }
        let visible = results.values.reduce(0) { $0 + $1.1 }
        let reports = results.values.flatMap(\.0)
            .sorted { $0.prefixes != $1.prefixes ? $0.prefixes > $1.prefixes : $0.country < $1.country }
        let t4 = ContinuousClock.now
        phaseTimes = phases + [t3 - t2, t4 - t3]
        return Census(countries: reports, peers: peerCount, fullFeedPeers: table.fullFeedCount,
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

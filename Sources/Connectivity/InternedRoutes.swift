import MRT
import Registry

/// A routing table held in memory with its prefixes and AS paths interned to dense ids, as
/// the monitor's routing state keeps every peer's table: what `CensusBuilder.add(_:)` reads
/// instead of route elements, so that a table already in memory is counted without being
/// turned back into elements. (Connectivity knows no routing state; the adapter lives with
/// whoever holds one.)
public protocol InternedRoutes {
    /// Peer ids are `0..<peerCount`; a peer is a BGP session (of one collector).
    var peerCount: Int { get }
    /// Prefix ids are `0..<prefixCount`.
    var prefixCount: Int { get }
    /// Path ids are `0..<pathCount`.
    var pathCount: Int { get }
    /// The prefix of id `id`.
    func prefix(_ id: UInt32) -> Prefix
    /// Puts the ASNs of path `id` into `asns`, in path order (the nearest AS first, the
    /// origin last; prepending kept, AS_SET members flattened as `PathAttributes.flattenedPath`
    /// does), and returns whether the path ends in an AS_SET (then it has no single origin,
    /// RFC 4271 section 5.1.2). An empty path is a route without AS_PATH.
    func path(_ id: UInt32, into asns: inout [UInt32]) -> Bool
    /// Calls `body` with the prefix id and the path id of each route of peer `peer`, in any
    /// order. A peer has at most one route to a prefix (as a BGP session without ADD-PATH).
    func forEachRoute(ofPeer peer: Int, _ body: (_ prefix: UInt32, _ path: UInt32) -> Void)
    /// The first ASN of path `id` and the id of the path after it (the same path without its
    /// first ASN, ending as it ends), nil when it is the path's only ASN; nil for an empty
    /// path. The census walks each such rest once for every peer whose path adds its own AS
    /// in front.
    func split(_ id: UInt32) -> (first: UInt32, rest: UInt32?)?
    /// Writes to `paths[k]` the path id of peer `peers[k]`'s route to prefix `prefix`, or
    /// `UInt32.max` when it has none: the census asks once per prefix for its full-feed
    /// peers' routes. Called from several threads at once while the census sums: it must only read.
    func paths(ofPrefix prefix: UInt32, peers: [Int], into paths: UnsafeMutableBufferPointer<UInt32>)
}

extension CensusBuilder {
    /// Adds every route of `table`, by the rules of RIB entries (`add(_:)` of a
    /// `RouteElement`): each peer with a route is one peer, each route one of its prefix's
    /// routes, and each distinct path is walked once (`ProviderWalk`), or once per prefix
    /// country when its origin has no registered country. Prefixes no peer carries are not
    /// part of the table.
    ///
    /// The routes are not copied: the census reads them from `table` when it sums
    /// (`paths(ofPrefix:peers:into:)`), so that a census of the monitor's tables costs a few bytes
    /// per prefix and per path, not per route. `table` must not change until `finish`.
    ///
    /// A builder reads one table: made with `init(options:registry:time:)`, given one
    /// `InternedRoutes` and no elements. `options.peerASNs` is not read.
    public func add(_ table: any InternedRoutes) {
        precondition(routesRead == 0 && !readInterned, "a census builder reads one table")
        readInterned = true
        guard let walker else { preconditionFailure("init(options:registry:time:) gives the builder its registry") }
        // Slot of each prefix id (-1: none yet). A route's path is walked as its first AS in
        // front of the rest of it (`split`), the rest walked once: walk of each path id (-2: not
        // walked yet, -3: depends on the prefix's country, see `countryWalks`; -1: no AS path).
        var slotOf = [Int32](repeating: -1, count: table.prefixCount)
        var walkOf = [Int32](repeating: -2, count: table.pathCount)
        var countryWalks: [UInt64: Int32] = [:]
        var pathDone = [UInt64](repeating: 0, count: (table.pathCount + 63) / 64)
        var asns: [UInt32] = []
        asns.reserveCapacity(64)
        var peers: [Int] = []  // table peer of each census peer
        var ipv4Routes: [Int] = []
        /// The walk of path `id` for a prefix of country `cc`.
        func walk(_ id: UInt32, _ cc: UInt16) -> Int32 {
            let known = walkOf[Int(id)]
            let key = InternedTable.key(id, cc)
            if known == -3, let w = countryWalks[key] { return w }
            guard known == -2 || known == -3 else { return known }
            let endsInSet = table.path(id, into: &asns)
            if asns.isEmpty {
                walkOf[Int(id)] = -1
                return -1
            }
            let (w, dependsOnCountry) = walker.walk(asns, endsInSet: endsInSet, country: CountryCode(rawValue: cc))
            if dependsOnCountry {
                walkOf[Int(id)] = -3
                countryWalks[key] = w
            } else {
                walkOf[Int(id)] = w
            }
            return w
        }
        for p in 0..<table.peerCount {
            var peer: UInt16?
            var full = false
            var ipv4 = 0
            table.forEachRoute(ofPeer: p) { prefixID, pathID in
                if peer == nil {
                    guard !full, let id = newPeer() else { full = true; return }
                    peer = id
                }
                var slot = slotOf[Int(prefixID)]
                if slot < 0 {
                    slot = newSlot(table.prefix(prefixID))
                    slotOf[Int(prefixID)] = slot
                }
                if !prefixes[Int(slot)].isV6 { ipv4 += 1 }
                // A path is walked once, unless its walk depends on the prefix's country.
                let (word, bit) = (Int(pathID) >> 6, UInt64(1) << UInt64(pathID & 63))
                guard pathDone[word] & bit == 0 else { routesRead += 1; return }
                let cc = prefixCountry[Int(slot)]
                if let (first, rest) = table.split(pathID), let rest {
                    let w = walk(rest, cc)
                    if w >= 0 { walker.noteExtended(w, head: walker.register(first)) }
                    if walkOf[Int(rest)] != -3 { pathDone[word] |= bit }
                } else {
                    _ = walk(pathID, cc)
                    if walkOf[Int(pathID)] != -3 { pathDone[word] |= bit }
                }
                routesRead += 1
            }
            if peer != nil {
                peers.append(p)
                ipv4Routes.append(ipv4)  // a peer has one route per prefix
            }
        }
        let most = ipv4Routes.max() ?? 0
        let fullFeed = peers.indices.filter { options.rule.isFullFeed(prefixes: ipv4Routes[$0], largest: most) }
        var prefixIDs = [UInt32](repeating: 0, count: prefixes.count)
        for (id, slot) in slotOf.enumerated() where slot >= 0 { prefixIDs[Int(slot)] = UInt32(id) }
        interned = InternedTable(routes: table, walker: walker, prefixes: prefixes, prefixIDs: prefixIDs,
                                 prefixCountry: prefixCountry, fullFeedPeers: fullFeed.map { peers[$0] },
                                 fullFeedCensusPeers: fullFeed.map { UInt16($0) },
                                 peerCount: peerCount, walkOf: walkOf, countryWalks: countryWalks, rule: options.rule)
    }
}

/// A table in memory as the census sums it: a prefix's full-feed routes are looked up in
/// each full-feed peer's table, and their walks by the path's rest (or by rest and country).
struct InternedTable: CensusTable, @unchecked Sendable {  // only read while summing
    let routes: any InternedRoutes
    let walker: PathWalker
    let prefixes: [Prefix]
    /// The table's prefix id of each slot.
    let prefixIDs: [UInt32]
    let prefixCountry: [UInt16]
    /// The table peer and the census peer of each full-feed peer, in peer order.
    let fullFeedPeers: [Int]
    let fullFeedCensusPeers: [UInt16]
    let peerCount: Int
    let walkOf: [Int32]
    let countryWalks: [UInt64: Int32]
    let rule: VisibilityRule

    var fullFeedCount: Int { fullFeedPeers.count }

    static func key(_ path: UInt32, _ country: UInt16) -> UInt64 { UInt64(path) << 16 | UInt64(country) }

    func fullFeedRoutes(ofSlot i: Int, into list: inout ScratchList<CensusRoute>) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: fullFeedPeers.count) { paths in
            routes.paths(ofPrefix: prefixIDs[i], peers: fullFeedPeers, into: paths)
            for (k, path) in paths.enumerated() where path != UInt32.max {
                var route = CensusRoute(peer: fullFeedCensusPeers[k], walk: -1)
                if let (first, rest) = routes.split(path) {
                    let walked = rest ?? path
                    route.walk = walkOf[Int(walked)]
                    if route.walk == -3 { route.walk = countryWalks[Self.key(walked, prefixCountry[i])]! }
                    if rest != nil { route.head = walker.existingID(first) }
                }
                list.append(route)
            }
        }
    }
}

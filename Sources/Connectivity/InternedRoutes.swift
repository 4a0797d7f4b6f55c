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
    /// Calls `body` with the prefix id and the path id of each route of peer `peer`, in any order.
    func forEachRoute(ofPeer peer: Int, _ body: (_ prefix: UInt32, _ path: UInt32) -> Void)
}

extension CensusBuilder {
    /// Adds every route of `table`, by the rules of RIB entries (`add(_:)` of a
    /// `RouteElement`): each peer with a route is one peer, each route one of its prefix's
    /// routes, and each distinct path is walked once (`ProviderWalk`), or once per prefix
    /// country when its origin has no registered country. Prefixes no peer carries are not
    /// part of the table.
    ///
    /// A builder reads one table: made with `init(options:registry:time:)`, given one
    /// `InternedRoutes` and no elements. `options.peerASNs` is not read.
    public func add(_ table: some InternedRoutes) {
        precondition(routesRead == 0 && !readInterned, "a census builder reads one table")
        readInterned = true
        guard let walker else { preconditionFailure("init(options:registry:time:) gives the builder its registry") }
        // Slot of each prefix id (-1: none yet); walk of each path id (-2: not walked yet,
        // -3: depends on the prefix's country, see `countryWalks`; -1: no AS path).
        var slotOf = [Int32](repeating: -1, count: table.prefixCount)
        var walkOf = [Int32](repeating: -2, count: table.pathCount)
        var countryWalks: [UInt64: Int32] = [:]
        var asns: [UInt32] = []
        asns.reserveCapacity(64)
        for p in 0..<table.peerCount {
            var peer: UInt16?
            var full = false
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
                var walk = walkOf[Int(pathID)]
                if walk == -2 || walk == -3 {
                    let cc = prefixCountry[Int(slot)]
                    let key = UInt64(pathID) << 16 | UInt64(cc)
                    if walk == -3, let w = countryWalks[key] {
                        walk = w
                    } else {
                        let endsInSet = table.path(pathID, into: &asns)
                        if asns.isEmpty {
                            walk = -1
                            walkOf[Int(pathID)] = -1
                        } else {
                            let (w, dependsOnCountry) = walker.walk(asns, endsInSet: endsInSet, country: CountryCode(rawValue: cc))
                            walk = w
                            if dependsOnCountry {
                                walkOf[Int(pathID)] = -3
                                countryWalks[key] = w
                            } else {
                                walkOf[Int(pathID)] = w
                            }
                        }
                    }
                }
                routeSlot.append(slot)
                routePeer.append(peer!)
                routeWalk.append(walk)
                routesRead += 1
            }
        }
    }
}

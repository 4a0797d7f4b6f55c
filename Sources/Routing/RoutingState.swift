import MRT

/// A BGP session seen by a collector.
public struct PeerKey: Hashable, Sendable {
    public var collector: String
    public var address: IPAddress
    public var asn: UInt32
    public init(collector: String, address: IPAddress, asn: UInt32) {
        self.collector = collector
        self.address = address
        self.asn = asn
    }
}

/// What applying one element changed, for the time series.
public enum RouteChange: Equatable, Sendable {
    /// A route appeared (`wasWithdrawn`: the same peer withdrew it earlier in this bin).
    case added(peer: UInt32, prefix: UInt32, path: UInt32)
    /// The route's AS path changed.
    case pathChanged(peer: UInt32, prefix: UInt32, old: UInt32, new: UInt32)
    /// The same path again (a duplicate announcement).
    case unchanged(peer: UInt32, prefix: UInt32)
    case removed(peer: UInt32, prefix: UInt32, path: UInt32)
    /// A withdrawal of a route the peer did not have.
    case nothing
}

extension RouteChange {
    /// The peer whose table changed, if any.
    public var peer: UInt32? {
        switch self {
        case .added(let p, _, _), .pathChanged(let p, _, _, _), .unchanged(let p, _), .removed(let p, _, _): p
        case .nothing: nil
        }
    }
}

/// Every peer's routing table, one per (collector, peer): RIB entries and announcements
/// set routes, withdrawals remove them, a session leaving Established removes all of the
/// peer's routes (RFC 4271 section 8), and a later RIB dump re-synchronises each table
/// it covers (routes the dump no longer lists are removed when the dump ends: `endRIB`).
///
/// Prefixes and AS paths are interned once for all peers (`PrefixIndex`, `PathTable`),
/// so a route costs a few bytes (`PeerRoutes`).
public final class RoutingState {
    public internal(set) var prefixes = PrefixIndex()
    public internal(set) var paths = PathTable()
    public private(set) var peers: [PeerKey] = []
    public private(set) var tables: [PeerRoutes] = []
    private var peerIDs: [PeerKey: UInt32] = [:]
    /// Small direct-mapped cache: attribute object -> path id (routes share attribute objects).
    private var pathCache: [(attributes: PathAttributes?, path: UInt32)]
    private var buffer: [UInt32] = []
    /// Per peer with routes before the RIB dump being read: the prefixes the dump listed,
    /// one bit per prefix id (to drop the others at its end). Peers whose table was empty
    /// need no list.
    private var ribSeen: [UInt32: [UInt64]] = [:]
    private var ribFresh: Set<UInt32> = []
    /// Length and checksum of the tables `writeTables` just wrote, for the next `encode`.
    var storedTables: (length: Int, checksum: UInt64)?

    private func noteRIB(peer: UInt32, prefix: UInt32) {
        if ribFresh.contains(peer) { return }
        if ribSeen[peer] == nil, tables[Int(peer)].count == 0 {
            ribFresh.insert(peer)
            return
        }
        let word = Int(prefix >> 6)
        let have = ribSeen[peer, default: []].count
        if have <= word {
            ribSeen[peer, default: []].append(contentsOf: repeatElement(0, count: max(word + 1, (prefixes.count + 63) >> 6) - have))
        }
        ribSeen[peer, default: []][word] |= 1 << UInt64(prefix & 63)
    }

    private static func has(_ bits: [UInt64], _ prefix: UInt32) -> Bool {
        let word = Int(prefix >> 6)
        return word < bits.count && bits[word] & 1 << UInt64(prefix & 63) != 0
    }

    public init() {
        pathCache = Array(repeating: (nil, 0), count: 4096)
        buffer.reserveCapacity(64)
    }

    /// Total routes over all peers.
    public var routeCount: Int { tables.reduce(0) { $0 + $1.count } }

    public func peerID(_ key: PeerKey) -> UInt32 {
        if let id = peerIDs[key] { return id }
        let id = UInt32(peers.count)
        peerIDs[key] = id
        peers.append(key)
        tables.append(PeerRoutes())
        return id
    }

    /// The path id of an element's attributes; nil when it has no AS path.
    public func pathID(_ attributes: PathAttributes) -> UInt32? {
        let slot = Int(truncatingIfNeeded: UInt(bitPattern: ObjectIdentifier(attributes).hashValue) >> 4) & (pathCache.count - 1)
        if pathCache[slot].attributes === attributes { return pathCache[slot].path }
        guard let endsInSet = attributes.flattenedPath(into: &buffer) else { return nil }
        let id = paths.intern(buffer, endsInSet: endsInSet)
        pathCache[slot] = (attributes, id)
        return id
    }

    /// Applies one element of collector `collector`.
    @discardableResult
    public func apply(_ e: RouteElement, collector: String) -> RouteChange {
        let peer = peerID(PeerKey(collector: collector, address: e.peerAddress, asn: e.peerASN))
        switch e.kind {
        case .announce, .rib:
            let path = pathID(e.attributes) ?? PathTable.noPath(&paths)
            let (prefix, _) = prefixes.intern(e.prefix)
            if e.kind == .rib { noteRIB(peer: peer, prefix: prefix) }
            let old = tables[Int(peer)].set(prefix, path: path, prefixCount: prefixes.count)
            guard let old else {
                if !e.prefix.isV6 { tables[Int(peer)].ipv4Count += 1 }
                return .added(peer: peer, prefix: prefix, path: path)
            }
            return old == path ? .unchanged(peer: peer, prefix: prefix) : .pathChanged(peer: peer, prefix: prefix, old: old, new: path)
        case .withdraw:
            guard let prefix = prefixes.find(e.prefix), let old = tables[Int(peer)].remove(prefix) else { return .nothing }
            if !e.prefix.isV6 { tables[Int(peer)].ipv4Count -= 1 }
            return .removed(peer: peer, prefix: prefix, path: old)
        case .state:
            return .nothing  // see `sessionDown`
        }
    }

    /// Whether an element is a session leaving Established (its routes are gone).
    public static func isSessionDown(_ e: RouteElement) -> Bool {
        e.kind == .state && e.oldState == .established && e.newState != .established
    }

    /// Removes every route of a peer; returns them as (prefix, path).
    public func dropPeer(_ peer: UInt32) -> [(UInt32, UInt32)] {
        var removed: [(UInt32, UInt32)] = []
        tables[Int(peer)].forEach { removed.append(($0, $1)) }
        tables[Int(peer)].removeAll()
        return removed
    }

    /// Ends the RIB dump of `collector` (nil: every collector's): each peer it listed keeps
    /// only the prefixes the dump listed. Returns the routes removed, as (peer, prefix, path),
    /// in peer and prefix order.
    public func endRIB(collector: String? = nil) -> [(UInt32, UInt32, UInt32)] {
        let mine = { (peer: UInt32) in collector == nil || self.peers[Int(peer)].collector == collector }
        var removed: [(UInt32, UInt32, UInt32)] = []
        for peer in ribSeen.keys.filter(mine).sorted() {
            let seen = ribSeen.removeValue(forKey: peer)!
            var stale: [(UInt32, UInt32)] = []
            tables[Int(peer)].forEach { prefix, path in if !Self.has(seen, prefix) { stale.append((prefix, path)) } }
            for (prefix, path) in stale.sorted(by: { $0.0 < $1.0 }) {
                tables[Int(peer)].remove(prefix)
                if !prefixes[prefix].isV6 { tables[Int(peer)].ipv4Count -= 1 }
                removed.append((peer, prefix, path))
            }
        }
        ribFresh = ribFresh.filter { !mine($0) }
        return removed
    }

    /// Puts back one route read from a checkpoint.
    func restoreRoute(peer: UInt32, prefix: UInt32, path: UInt32) {
        if tables[Int(peer)].set(prefix, path: path, prefixCount: prefixes.count) == nil, !prefixes[prefix].isV6 {
            tables[Int(peer)].ipv4Count += 1
        }
    }

    /// Puts back a whole table read from a checkpoint.
    func restoreTable(peer: UInt32, _ table: PeerRoutes) { tables[Int(peer)] = table }

    /// Bytes held by the tables, the prefix index and the path table.
    public var memoryBytes: Int {
        tables.reduce(0) { $0 + $1.memoryBytes } + prefixes.memoryBytes + paths.memoryBytes
    }
}

extension PathTable {
    /// The id of the empty path (routes without AS_PATH, such as iBGP-learned ones).
    static func noPath(_ table: inout PathTable) -> UInt32 { table.intern([], endsInSet: false) }
}

import MRT

extension CheckpointEncoder {
    public mutating func address(_ a: IPAddress) {
        bool(a.isV6)
        if a.isV6 { u64(a.high); u64(a.low) } else { u32(a.v4) }
    }
    public mutating func prefix(_ p: Prefix) {
        address(p.address)
        u8(p.length)
    }
}

extension CheckpointDecoder {
    public mutating func address() throws -> IPAddress {
        try bool() ? IPAddress(v6High: try u64(), low: try u64()) : IPAddress(v4: try u32())
    }
    public mutating func prefix() throws -> Prefix {
        let a = try address()
        let length = try u8()
        guard let p = Prefix(checked: a, length: Int(length)) else { throw fail("prefix length \(length) out of range") }
        return p
    }
}

extension RoutingState {
    /// Writes every table: prefixes and paths in id order (so that they get the same ids
    /// back), the peers, and each peer's routes. Called between files, when no RIB dump is
    /// being read.
    public func encode(to c: inout CheckpointEncoder) {
        let (keys, v6) = prefixes.packed
        c.u64s(keys)
        c.array(v6) { $0.prefix($1) }
        let (pool, starts, origins) = paths.packed
        c.u32s(pool)
        c.u32s(starts)
        c.u32s(origins)
        c.array(peers) { c, p in
            c.string(p.collector)
            c.address(p.address)
            c.u32(p.asn)
        }
        for table in tables {
            // In prefix order, so that the same state always gives the same bytes.
            var pairs: [UInt64] = []
            pairs.reserveCapacity(table.count)
            table.forEach { prefix, path in pairs.append(UInt64(prefix) << 32 | UInt64(path)) }
            pairs.sort()
            var routes: [UInt32] = []
            routes.reserveCapacity(table.count * 2)
            for r in pairs { routes.append(UInt32(truncatingIfNeeded: r >> 32)); routes.append(UInt32(truncatingIfNeeded: r)) }
            c.int(table.ipv4Count)
            c.u32s(routes)
        }
    }

    /// Reads back what `encode` wrote.
    public static func decode(from d: inout CheckpointDecoder) throws -> RoutingState {
        let s = RoutingState()
        let at = d.offset
        let keys = try d.u64s()
        let v6 = try d.array { try $0.prefix() }
        guard let index = PrefixIndex(keys: keys, v6: v6) else { throw CheckpointError(offset: at, "prefix index malformed") }
        s.prefixes = index
        let pathsAt = d.offset
        guard let table = PathTable(pool: try d.u32s(), starts: try d.u32s(), origins: try d.u32s()) else {
            throw CheckpointError(offset: pathsAt, "path table malformed")
        }
        s.paths = table
        let prefixCount = keys.count, pathCount = table.count
        let peers = try d.array { d in PeerKey(collector: try d.string(), address: try d.address(), asn: try d.u32()) }
        for key in peers {
            let peer = s.peerID(key)
            let ipv4 = try d.int()
            let at = d.offset
            let routes = try d.u32s()
            guard routes.count % 2 == 0 else { throw CheckpointError(offset: at, "odd route list") }
            var i = 0
            while i < routes.count {
                guard routes[i] < UInt32(prefixCount), routes[i + 1] < UInt32(pathCount) else {
                    throw CheckpointError(offset: at, "route of peer \(peer) names an unknown prefix or path")
                }
                s.restoreRoute(peer: peer, prefix: routes[i], path: routes[i + 1])
                i += 2
            }
            guard s.tables[Int(peer)].ipv4Count == ipv4 else { throw CheckpointError(offset: at, "IPv4 route count of peer \(peer) does not match") }
        }
        return s
    }
}

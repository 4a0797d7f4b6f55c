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

/// The routing tables in a checkpoint.
///
/// The tables are most of a checkpoint (4 bytes per route of a full-feed peer, 8 per route
/// of the others), so they are written apart, in pieces (`writeTables`): an ingest stores
/// them beside the checkpoint without ever holding them whole, and the checkpoint itself
/// keeps only their length and checksum. Without `writeTables` first (tests, small
/// states), `encode` puts them inside the checkpoint.
///
/// The tables' bytes: the prefix index's packed keys and IPv6 prefixes, the path table's
/// node keys (each in id order, so that they get the same ids back), the peers, and each
/// peer's table: a full-feed peer's dense array of path ids in prefix id order (one per
/// prefix, `UInt32.max` where it has no route), any other's (prefix, path) pairs sorted by
/// prefix. The same state always gives the same bytes.
extension RoutingState {
    /// "RTABLES2": the format of the tables; a checkpoint of an older Blackout lacks it.
    static let tablesTag: UInt64 = 0x3253_454C_4241_5452
    /// Task-local: the tables stored beside the checkpoint being restored.
    @TaskLocal public static var storedTablesSource: ChunkSource?

    /// Writes the tables in pieces of about `chunkBytes` to `emit`; the next `encode` refers
    /// to them by length and checksum instead of holding them. Nothing may change in between.
    /// `releasing` empties each peer's table once written, so that the last checkpoint of a
    /// state that is not used again costs no memory: the routes are gone after it (the
    /// prefixes, paths and peers stay).
    public func writeTables(chunkBytes: Int = 1 << 20, releasing: Bool = false,
                            _ emit: @escaping (UnsafeRawBufferPointer) throws -> Void) throws {
        var w = ChunkWriter(chunkBytes: chunkBytes, emit)
        try writeTables(&w, releasing: releasing)
        try w.flush()
        storedTables = (w.checksum.count, w.checksum.value)
    }

    private func writeTables(_ w: inout ChunkWriter, releasing: Bool = false) throws {
        let (keys, v6) = prefixes.packed
        try keys.withUnsafeBufferPointer { try w.block($0) }
        try w.int(v6.count)
        for p in v6 {
            try w.u64(p.address.high)
            try w.u64(p.address.low)
            try w.u8(p.length)
        }
        try paths.packed.withUnsafeBufferPointer { try w.block($0) }
        let prefixCount = prefixes.count
        try w.int(peers.count)
        for i in peers.indices {
            let key = peers[i], table = tables[i]
            // Released as soon as `table` is let go of, at the end of this iteration.
            if releasing { restoreTable(peer: UInt32(i), PeerRoutes()) }
            try w.string(key.collector)
            try w.u8(key.address.isV6 ? 1 : 0)
            try w.u64(key.address.high)
            try w.u64(key.address.low)
            try w.u32(key.asn)
            try w.int(table.ipv4Count)
            if let dense = table.denseRoutes {
                try w.u8(1)
                // Exactly one entry per prefix: the array grows lazily, its length is not state.
                try w.int(prefixCount)
                try dense.withUnsafeBytes { try w.append($0) }
                let padding = [UInt32](repeating: PeerRoutes.absent, count: min(prefixCount - dense.count, 1 << 16))
                var left = prefixCount - dense.count
                while left > 0 {
                    let n = min(left, padding.count)
                    try padding.withUnsafeBytes { try w.append(UnsafeRawBufferPointer(rebasing: $0[0..<n * 4])) }
                    left -= n
                }
            } else {
                try w.u8(0)
                var pairs: [UInt64] = []
                pairs.reserveCapacity(table.count)
                table.forEach { prefix, path in pairs.append(UInt64(prefix) << 32 | UInt64(path)) }
                pairs.sort()
                var routes: [UInt32] = []
                routes.reserveCapacity(table.count * 2)
                for r in pairs { routes.append(UInt32(truncatingIfNeeded: r >> 32)); routes.append(UInt32(truncatingIfNeeded: r)) }
                try routes.withUnsafeBufferPointer { try w.block($0) }
            }
        }
    }

    /// Writes the state: the tables' length and checksum when `writeTables` just wrote
    /// them, else the tables themselves. Called between files, when no RIB dump is being read.
    public func encode(to c: inout CheckpointEncoder) {
        c.u64(Self.tablesTag)
        if let stored = storedTables {
            storedTables = nil
            c.u8(1)
            c.int(stored.length)
            c.u64(stored.checksum)
        } else {
            c.u8(0)
            var bytes: [UInt8] = []
            var w = ChunkWriter { bytes.append(contentsOf: $0) }
            // Appending to an array cannot fail.
            try! writeTables(&w)
            try! w.flush()
            c.raw(bytes)
        }
    }

    /// Reads back what `encode` wrote; tables stored apart come from `storedTablesSource`.
    public static func decode(from d: inout CheckpointDecoder) throws -> RoutingState {
        let at = d.offset
        guard try d.u64() == tablesTag else {
            throw CheckpointError(offset: at, "routing tables in the format of an older blackout; --from-scratch starts over")
        }
        switch try d.u8() {
        case 0:
            let bytes = try d.raw()
            var r = ChunkReader(ChunkSource(bytes: bytes), limit: bytes.count)
            let s = try readTables(&r)
            guard try r.isAtEnd() else { throw r.fail("trailing bytes") }
            return s
        case 1:
            let length = try d.int(), checksum = try d.u64()
            guard let source = storedTablesSource else {
                throw CheckpointError(offset: at, "the routing tables stored beside the checkpoint are missing")
            }
            var r = ChunkReader(source, limit: length)
            let s = try readTables(&r)
            guard try r.isAtEnd(), r.offset == length else { throw r.fail("\(length) bytes expected") }
            guard r.checksum.value == checksum else { throw r.fail("checksum does not match") }
            return s
        default:
            throw CheckpointError(offset: at + 8, "unknown form of routing tables")
        }
    }

    private static func readTables(_ r: inout ChunkReader) throws -> RoutingState {
        let s = RoutingState()
        let keys = try r.block(UInt64.self)
        var v6: [Prefix] = []
        for _ in 0..<(try r.count(itemSize: 17)) {
            let a = IPAddress(v6High: try r.u64(), low: try r.u64())
            let length = try r.u8()
            guard let p = Prefix(checked: a, length: Int(length)) else { throw r.fail("prefix length \(length) out of range") }
            v6.append(p)
        }
        guard let index = PrefixIndex(keys: keys, v6: v6) else { throw r.fail("prefix index malformed") }
        s.prefixes = index
        guard let table = PathTable(keys: try r.block(UInt64.self)) else { throw r.fail("path table malformed") }
        s.paths = table
        let prefixCount = keys.count, pathCount = UInt32(table.count)
        for i in 0..<(try r.count(itemSize: 30)) {
            let collector = try r.string()
            let isV6 = try r.u8(), high = try r.u64(), low = try r.u64()
            guard isV6 < 2, isV6 == 1 || high == 0 && low >> 32 == 0 else { throw r.fail("peer address malformed") }
            let address = isV6 == 1 ? IPAddress(v6High: high, low: low) : IPAddress(v4: UInt32(low))
            let peer = s.peerID(PeerKey(collector: collector, address: address, asn: try r.u32()))
            guard peer == UInt32(i) else { throw r.fail("peer \(i) repeated") }
            let ipv4 = try r.int()
            var counted = 0, counted4 = 0
            switch try r.u8() {
            case 1:
                let dense = try r.block(UInt32.self)
                guard dense.count == prefixCount else { throw r.fail("table of peer \(peer) does not cover the prefixes") }
                try dense.withUnsafeBufferPointer { d in
                    for p in d.indices where d[p] != PeerRoutes.absent {
                        guard d[p] < pathCount else { throw r.fail("route of peer \(peer) names an unknown path") }
                        counted += 1
                        if !index.isV6(UInt32(p)) { counted4 += 1 }
                    }
                }
                s.restoreTable(peer: peer, PeerRoutes(dense: dense, count: counted, ipv4Count: counted4))
            case 0:
                let routes = try r.block(UInt32.self)
                guard routes.count % 2 == 0 else { throw r.fail("odd route list") }
                var i = 0
                while i < routes.count {
                    guard routes[i] < UInt32(prefixCount), routes[i + 1] < pathCount, i == 0 || routes[i - 2] < routes[i] else {
                        throw r.fail("route of peer \(peer) names an unknown prefix or path, or is out of order")
                    }
                    s.restoreRoute(peer: peer, prefix: routes[i], path: routes[i + 1])
                    i += 2
                }
                counted4 = s.tables[Int(peer)].ipv4Count
            default:
                throw r.fail("unknown table form")
            }
            guard counted4 == ipv4 else { throw r.fail("IPv4 route count of peer \(peer) does not match") }
        }
        return s
    }
}

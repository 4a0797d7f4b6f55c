import MRT

/// AS paths interned to dense ids: each distinct path (flattened, RFC 6793 AS4_PATH
/// merged, AS_SETs flattened in order) is stored once in a flat pool of ASNs, so that a
/// route costs a 32-bit path id and two routes have the same path exactly when their ids
/// are equal (a path change is an id change).
///
/// Paths are not reclaimed when no route uses them any more; a path seen once costs its
/// ASNs (about 20 bytes) for the life of the table.
public struct PathTable {
    private var pool: [UInt32] = []
    private var starts: [UInt32] = [0]
    /// Origin of each path (the last ASN; 0 when the path ends in an AS_SET).
    public private(set) var origins: [UInt32] = []
    private var slots = [UInt32](repeating: 0, count: 1 << 12)
    private var hashes: [UInt32] = []

    public init() {}

    public var count: Int { origins.count }

    /// The ASNs of path `id`, in path order (nearest AS first).
    public func asns(_ id: UInt32) -> ArraySlice<UInt32> { pool[Int(starts[Int(id)])..<Int(starts[Int(id) + 1])] }

    private static func hash(_ asns: some Collection<UInt32>) -> UInt32 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15
        for a in asns { h = (h ^ UInt64(a)) &* 0xBF58_476D_1CE4_E5B9; h ^= h >> 31 }
        return UInt32(truncatingIfNeeded: h >> 32)
    }

    /// The id of the path in `asns`; `endsInSet` when its last segment is an AS_SET.
    public mutating func intern(_ asns: [UInt32], endsInSet: Bool) -> UInt32 {
        let h = Self.hash(asns)
        var mask = slots.count - 1
        var i = Int(h) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            let id = Int(s - 1)
            if hashes[id] == h, pool[Int(starts[id])..<Int(starts[id + 1])].elementsEqual(asns) { return s - 1 }
            i = (i + 1) & mask
        }
        let id = UInt32(origins.count)
        pool += asns
        starts.append(UInt32(pool.count))
        origins.append(endsInSet ? 0 : asns.last ?? 0)
        hashes.append(h)
        if origins.count * 2 > slots.count {
            var bigger = [UInt32](repeating: 0, count: slots.count * 2)
            mask = bigger.count - 1
            for (j, hj) in hashes.enumerated() {
                var k = Int(hj) & mask
                while bigger[k] != 0 { k = (k + 1) & mask }
                bigger[k] = UInt32(j + 1)
            }
            slots = bigger
        } else {
            slots[i] = id + 1
        }
        return id
    }

    /// The pool, the start of each path in it and each path's origin, for a checkpoint.
    var packed: (pool: [UInt32], starts: [UInt32], origins: [UInt32]) { (pool, starts, origins) }

    /// The table of `packed` arrays, each path getting its id back; nil when they do not fit together.
    init?(pool: [UInt32], starts: [UInt32], origins: [UInt32]) {
        guard starts.first == 0, starts.last.map({ Int($0) == pool.count }) ?? false, origins.count == starts.count - 1,
              zip(starts, starts.dropFirst()).allSatisfy({ $0 <= $1 })
        else { return nil }
        self.pool = pool
        self.starts = starts
        self.origins = origins
        var size = 1 << 12
        while size < origins.count * 2 + 2 { size <<= 1 }
        slots = [UInt32](repeating: 0, count: size)
        hashes.reserveCapacity(origins.count)
        let mask = size - 1
        for id in 0..<origins.count {
            let asns = pool[Int(starts[id])..<Int(starts[id + 1])]
            guard origins[id] == 0 || origins[id] == asns.last else { return nil }
            let h = Self.hash(asns)
            hashes.append(h)
            var i = Int(h) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = UInt32(id + 1)
        }
    }

    public var memoryBytes: Int {
        pool.capacity * 4 + starts.capacity * 4 + origins.capacity * 4 + slots.capacity * 4 + hashes.capacity * 4
    }
}

/// One peer's routes: prefix id -> path id. Small tables are open-addressed words
/// (`prefix << 32 | path`, linear probing, backward-shift deletion: no tombstones);
/// a table that holds a large share of all prefixes turns into a dense array indexed by
/// prefix id (4 bytes per prefix), which is what a full-feed peer costs.
public struct PeerRoutes {
    static let empty = UInt64.max
    static let absent = UInt32.max
    private var slots: [UInt64] = []
    private var dense: [UInt32]? = nil
    public private(set) var count = 0
    /// IPv4 routes, for the full-feed rule.
    public var ipv4Count = 0

    public init() {}

    /// A full-feed table from its dense array (`absent` where the peer has no route).
    init(dense: [UInt32], count: Int, ipv4Count: Int) {
        self.dense = dense
        self.count = count
        self.ipv4Count = ipv4Count
    }

    /// The dense array of a full-feed table (path id by prefix id), nil for a hashed one.
    var denseRoutes: [UInt32]? { dense }

    @inline(__always)
    private static func home(_ prefix: UInt32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(prefix) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// The path of `prefix`, or nil.
    public func path(of prefix: UInt32) -> UInt32? {
        if let dense {
            guard Int(prefix) < dense.count else { return nil }
            let p = dense[Int(prefix)]
            return p == Self.absent ? nil : p
        }
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var i = Self.home(prefix, mask)
        while true {
            let s = slots[i]
            if s == Self.empty { return nil }
            if UInt32(truncatingIfNeeded: s >> 32) == prefix { return UInt32(truncatingIfNeeded: s) }
            i = (i + 1) & mask
        }
    }

    /// Sets the path of `prefix`; returns the previous one.
    @discardableResult
    public mutating func set(_ prefix: UInt32, path: UInt32, prefixCount: Int) -> UInt32? {
        if dense != nil {
            if Int(prefix) >= dense!.count {
                dense!.append(contentsOf: repeatElement(Self.absent, count: max(Int(prefix) + 1, prefixCount) - dense!.count))
            }
            let old = dense![Int(prefix)]
            dense![Int(prefix)] = path
            if old == Self.absent { count += 1; return nil }
            return old
        }
        if slots.isEmpty { slots = [UInt64](repeating: Self.empty, count: 16) }
        let mask = slots.count - 1
        var i = Self.home(prefix, mask)
        while true {
            let s = slots[i]
            if s == Self.empty { break }
            if UInt32(truncatingIfNeeded: s >> 32) == prefix {
                slots[i] = UInt64(prefix) << 32 | UInt64(path)
                return UInt32(truncatingIfNeeded: s)
            }
            i = (i + 1) & mask
        }
        slots[i] = UInt64(prefix) << 32 | UInt64(path)
        count += 1
        // Dense costs 4 bytes per prefix of the index, hashed about 12 per route.
        if count * 3 > prefixCount, prefixCount > 1024 {
            makeDense(prefixCount)
        } else if count * 4 > slots.count * 3 {
            rehash(slots.count * 2)
        }
        return nil
    }

    /// Removes the route of `prefix`; returns its path, or nil if there was none.
    @discardableResult
    public mutating func remove(_ prefix: UInt32) -> UInt32? {
        if dense != nil {
            guard Int(prefix) < dense!.count else { return nil }
            let old = dense![Int(prefix)]
            guard old != Self.absent else { return nil }
            dense![Int(prefix)] = Self.absent
            count -= 1
            return old
        }
        guard !slots.isEmpty else { return nil }
        let mask = slots.count - 1
        var i = Self.home(prefix, mask)
        while true {
            let s = slots[i]
            if s == Self.empty { return nil }
            if UInt32(truncatingIfNeeded: s >> 32) == prefix { break }
            i = (i + 1) & mask
        }
        let old = UInt32(truncatingIfNeeded: slots[i])
        // Backward-shift deletion: pull later members of the probe run into the hole.
        var hole = i
        var j = (i + 1) & mask
        while slots[j] != Self.empty {
            let h = Self.home(UInt32(truncatingIfNeeded: slots[j] >> 32), mask)
            // Move slots[j] if its home is not in the cyclic range (hole, j].
            if (j > hole && (h <= hole || h > j)) || (j < hole && h <= hole && h > j) {
                slots[hole] = slots[j]
                hole = j
            }
            j = (j + 1) & mask
        }
        slots[hole] = Self.empty
        count -= 1
        return old
    }

    /// Every route, as (prefix, path).
    public func forEach(_ body: (UInt32, UInt32) -> Void) {
        if let dense {
            for (p, path) in dense.enumerated() where path != Self.absent { body(UInt32(p), path) }
        } else {
            for s in slots where s != Self.empty { body(UInt32(truncatingIfNeeded: s >> 32), UInt32(truncatingIfNeeded: s)) }
        }
    }

    /// Drops every route (the session went down).
    public mutating func removeAll() {
        slots = []
        dense = nil
        count = 0
        ipv4Count = 0
    }

    private mutating func rehash(_ capacity: Int) {
        let old = slots
        slots = [UInt64](repeating: Self.empty, count: capacity)
        let mask = capacity - 1
        for s in old where s != Self.empty {
            var i = Self.home(UInt32(truncatingIfNeeded: s >> 32), mask)
            while slots[i] != Self.empty { i = (i + 1) & mask }
            slots[i] = s
        }
    }

    private mutating func makeDense(_ prefixCount: Int) {
        var d = [UInt32](repeating: Self.absent, count: prefixCount)
        for s in slots where s != Self.empty {
            let p = Int(truncatingIfNeeded: s >> 32)
            if p >= d.count { d.append(contentsOf: repeatElement(Self.absent, count: p + 1 - d.count)) }
            d[p] = UInt32(truncatingIfNeeded: s)
        }
        dense = d
        slots = []
    }

    public var memoryBytes: Int { slots.capacity * 8 + (dense?.capacity ?? 0) * 4 }
}

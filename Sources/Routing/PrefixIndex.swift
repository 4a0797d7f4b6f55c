import MRT

/// Dense ids for prefixes, shared by every peer's table: a prefix is stored once however
/// many peers carry it. IPv4 prefixes are packed into one word (address << 8 | length);
/// IPv6 ones are kept aside and referred to by index. Open addressing with linear
/// probing over 32-bit slots keeps the index at 8-16 bytes per prefix.
public struct PrefixIndex {
    /// Packed key of each id: IPv4 `address << 8 | length`, IPv6 `1 << 63 | index into v6`.
    private var keys: [UInt64] = []
    private var v6: [Prefix] = []
    /// id + 1 per slot, 0 when empty; the count is a power of two.
    private var slots: [UInt32] = [UInt32](repeating: 0, count: 1 << 10)

    public init() {}

    public var count: Int { keys.count }

    public subscript(id: UInt32) -> Prefix {
        let k = keys[Int(id)]
        if k >> 63 == 1 { return v6[Int(k & 0xFFFF_FFFF)] }
        return Prefix(address: IPAddress(v4: UInt32(truncatingIfNeeded: k >> 8)), length: UInt8(k & 0xFF))
    }

    /// Whether prefix `id` is an IPv6 one.
    @inline(__always)
    public func isV6(_ id: UInt32) -> Bool { keys[Int(id)] >> 63 == 1 }

    @inline(__always)
    private static func hash(_ p: Prefix) -> UInt64 {
        let a = p.address
        let x = a.isV6 ? a.high ^ (a.low &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(p.length) << 1 | 1
            : UInt64(a.v4) << 8 | UInt64(p.length)
        return (x ^ x >> 29) &* 0xBF58_476D_1CE4_E5B9
    }

    @inline(__always)
    private func matches(_ id: UInt32, _ p: Prefix) -> Bool {
        let k = keys[Int(id)]
        if p.isV6 { return k >> 63 == 1 && v6[Int(k & 0xFFFF_FFFF)] == p }
        return k == UInt64(p.address.v4) << 8 | UInt64(p.length)
    }

    /// The id of `p`, if it was ever interned.
    public func find(_ p: Prefix) -> UInt32? {
        let mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(p) >> 32) & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if matches(s - 1, p) { return s - 1 }
            i = (i + 1) & mask
        }
    }

    /// The id of `p`, interning it if new; `isNew` tells which.
    public mutating func intern(_ p: Prefix) -> (id: UInt32, isNew: Bool) {
        var mask = slots.count - 1
        var i = Int(truncatingIfNeeded: Self.hash(p) >> 32) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            if matches(s - 1, p) { return (s - 1, false) }
            i = (i + 1) & mask
        }
        let id = UInt32(keys.count)
        if p.isV6 {
            keys.append(1 << 63 | UInt64(v6.count))
            v6.append(p)
        } else {
            keys.append(UInt64(p.address.v4) << 8 | UInt64(p.length))
        }
        if keys.count * 2 > slots.count {
            grow()
            mask = slots.count - 1
            i = Int(truncatingIfNeeded: Self.hash(p) >> 32) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
        }
        slots[i] = id + 1
        return (id, true)
    }

    private mutating func grow() {
        var bigger = [UInt32](repeating: 0, count: slots.count * 2)
        let mask = bigger.count - 1
        for id in 0..<UInt32(keys.count - 1) {  // the newest key is placed by the caller
            var i = Int(truncatingIfNeeded: Self.hash(self[id]) >> 32) & mask
            while bigger[i] != 0 { i = (i + 1) & mask }
            bigger[i] = id + 1
        }
        slots = bigger
    }

    /// The packed keys and the IPv6 prefixes, for a checkpoint.
    var packed: (keys: [UInt64], v6: [Prefix]) { (keys, v6) }

    /// The index of `packed` keys, each getting its id back; nil when a key is malformed or repeated.
    init?(keys: [UInt64], v6: [Prefix]) {
        var index = PrefixIndex()
        index.keys = keys
        index.v6 = v6
        var size = 1 << 10
        while size < keys.count * 2 { size <<= 1 }
        index.slots = [UInt32](repeating: 0, count: size)
        let mask = size - 1
        for (id, k) in keys.enumerated() {
            if k >> 63 == 1 {
                guard Int(k & 0xFFFF_FFFF) < v6.count, k & 0x7FFF_FFFF_0000_0000 == 0 else { return nil }
            } else {
                guard k & 0xFF <= 32, k >> 40 == 0 else { return nil }
            }
            let p = index[UInt32(id)]
            var i = Int(truncatingIfNeeded: Self.hash(p) >> 32) & mask
            while index.slots[i] != 0 {
                if index.matches(index.slots[i] - 1, p) { return nil }
                i = (i + 1) & mask
            }
            index.slots[i] = UInt32(id + 1)
        }
        self = index
    }

    /// Bytes held (capacity, not count).
    public var memoryBytes: Int { keys.capacity * 8 + v6.capacity * MemoryLayout<Prefix>.stride + slots.capacity * 4 }
}

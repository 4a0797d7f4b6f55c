import MRT

/// AS paths interned to dense ids, sharing suffixes: a path is its first ASN and the id of
/// the rest of it (a trie read from the origin end), so that two routes have the same path
/// exactly when their ids are equal (a path change is an id change), and the paths of peers
/// that differ only in the ASNs nearest to them share everything behind those ASNs, as the
/// paths of a collector's peers do.
///
/// Each node is one 64-bit key, `head << 32 | tail`, where `tail` is 0 for the last ASN of a
/// path ending in an AS_SEQUENCE, 1 for one ending in an AS_SET (origin unknown), and the
/// rest's id + 2 otherwise; keys are found again through an open-addressed table of 32-bit
/// slots. A node costs 8 bytes and 4-16 of slots (12-24 in all, about 16 on average); a
/// path's first node costs that, its suffix nothing when another path already holds it.
/// The old flat table cost its ASNs (about 20 bytes), 16 bytes of starts, origins and
/// hashes and its slots: about 45 bytes per path.
///
/// A node's rest always has a smaller id than the node, so walking a path ends. Paths
/// are not reclaimed when no route uses them any more.
public struct PathTable {
    /// The key of each node, by id.
    private var keys: [UInt64] = []
    /// id + 1 per slot, 0 when empty; the count is a power of two.
    private var slots = [UInt32](repeating: 0, count: 1 << 12)
    /// Paths interned lately, by a hash of their ASNs (`recentStep`): the hash's upper 32 bits
    /// and id + 1 per slot, direct-mapped, 0 when empty. A hit is checked against the trie
    /// (`holds`), so it only saves the walk through the slots, never decides an id: a path
    /// seen again costs a load per ASN instead of a probe and a load per ASN, and a peer's
    /// new path whose rest is known (its own AS in front of another peer's path) one probe.
    private var recent = [UInt64](repeating: 0, count: 1 << 14)
    /// The bits of a slot that must equal the hash's before the trie is asked (the tag). A
    /// test clears them, so that every path that lands on an occupied slot is left to `holds`.
    var recentTagMask: UInt64 = 0xFFFF_FFFF_0000_0000

    /// The key of the empty path (no AS_PATH): no node has it, as no tail code reaches 2^32 - 1.
    static let emptyKey = UInt64.max
    static let endsInSequence: UInt64 = 0
    static let endsInSet: UInt64 = 1

    public init() {}

    /// Number of ids: paths and the suffixes they are made of.
    public var count: Int { keys.count }

    /// The ASNs of path `id`, in path order (nearest AS first).
    public func asns(_ id: UInt32) -> ArraySlice<UInt32> {
        var out: [UInt32] = []
        var k = keys[Int(id)]
        guard k != Self.emptyKey else { return [] }
        while true {
            out.append(UInt32(truncatingIfNeeded: k >> 32))
            let tail = k & 0xFFFF_FFFF
            if tail < 2 { break }
            k = keys[Int(tail - 2)]
        }
        return out[...]
    }

    /// Puts the ASNs of path `id` into `asns` (replacing its contents), in path order, and
    /// returns whether the path ends in an AS_SET (no single origin). Empty for no AS path.
    public func path(_ id: UInt32, into asns: inout [UInt32]) -> Bool {
        asns.removeAll(keepingCapacity: true)
        var k = keys[Int(id)]
        guard k != Self.emptyKey else { return false }
        while true {
            asns.append(UInt32(truncatingIfNeeded: k >> 32))
            let tail = k & 0xFFFF_FFFF
            if tail < 2 { return tail == Self.endsInSet }
            k = keys[Int(tail - 2)]
        }
    }

    /// The first ASN of path `id` and the id of the rest of it (nil when it is the only
    /// ASN); nil for the empty path. The rest is a path of its own, ending as `id` ends.
    public func split(_ id: UInt32) -> (first: UInt32, rest: UInt32?)? {
        let k = keys[Int(id)]
        guard k != Self.emptyKey else { return nil }
        let tail = k & 0xFFFF_FFFF
        return (UInt32(truncatingIfNeeded: k >> 32), tail < 2 ? nil : UInt32(truncatingIfNeeded: tail - 2))
    }

    /// The origin AS of path `id` (its last ASN; 0 when the path ends in an AS_SET or is empty).
    public func origin(_ id: UInt32) -> UInt32 {
        var k = keys[Int(id)]
        guard k != Self.emptyKey else { return 0 }
        while true {
            let tail = k & 0xFFFF_FFFF
            if tail == Self.endsInSequence { return UInt32(truncatingIfNeeded: k >> 32) }
            if tail == Self.endsInSet { return 0 }
            k = keys[Int(tail - 2)]
        }
    }

    /// The origin of each path, by id: `origins[id]`.
    public struct Origins {
        let table: PathTable
        public subscript(id: Int) -> UInt32 { table.origin(UInt32(id)) }
        public var count: Int { table.count }
    }

    public var origins: Origins { Origins(table: self) }

    @inline(__always)
    private static func hash(_ key: UInt64) -> Int {
        var x = key &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 29
        x = x &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: x >> 32)
    }

    /// The id of the node `key`, adding it if new.
    @inline(__always)
    private mutating func node(_ key: UInt64) -> UInt32 {
        var mask = slots.count - 1
        var i = Self.hash(key) & mask
        while true {
            let s = slots[i]
            if s == 0 { break }
            if keys[Int(s - 1)] == key { return s - 1 }
            i = (i + 1) & mask
        }
        let id = UInt32(keys.count)
        keys.append(key)
        // At most 3/4 full: linear probing stays short, and the slots cost 5.3-10.7 bytes a node.
        if keys.count * 4 > slots.count * 3 {
            grow(slots.count * 2)
            mask = slots.count - 1
            i = Self.hash(key) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
        }
        slots[i] = id + 1
        return id
    }

    private mutating func grow(_ size: Int) {
        slots = [UInt32](repeating: 0, count: size)
        let mask = size - 1
        for id in 0..<keys.count - 1 {  // the newest key is placed by the caller
            var i = Self.hash(keys[id]) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = UInt32(id + 1)
        }
    }

    /// The id of the path in `asns`; `endsInSet` when its last segment is an AS_SET.
    /// The same ASNs ending in a set and in a sequence are two paths (their origins differ).
    public mutating func intern(_ asns: [UInt32], endsInSet: Bool) -> UInt32 {
        guard !asns.isEmpty else { return node(Self.emptyKey) }
        // Hashes of the path and of its rest (all but the first ASN), from the origin end.
        var h = Self.recentSeed(endsInSet)
        var rest = h
        for k in stride(from: asns.count - 1, through: 0, by: -1) {
            rest = h
            h = Self.recentStep(h, asns[k])
        }
        if let id = recentPath(h, asns, from: 0, endsInSet) { return id }
        let tailOfFirst: UInt64
        if asns.count > 1, let r = recentPath(rest, asns, from: 1, endsInSet) {
            tailOfFirst = UInt64(r) + 2
        } else {
            var tail = endsInSet ? Self.endsInSet : Self.endsInSequence
            var i = asns.count
            while i > 1 {
                i -= 1
                tail = UInt64(node(UInt64(asns[i]) << 32 | tail)) + 2
            }
            if asns.count > 1 { remember(rest, UInt32(tail - 2)) }
            tailOfFirst = tail
        }
        let id = node(UInt64(asns[0]) << 32 | tailOfFirst)
        remember(h, id)
        return id
    }

    @inline(__always)
    private static func recentSeed(_ endsInSet: Bool) -> UInt64 { endsInSet ? 0x2545_F491_4F6C_DD1D : 0x9E37_79B9_7F4A_7C15 }

    @inline(__always)
    private static func recentStep(_ h: UInt64, _ asn: UInt32) -> UInt64 {
        var x = (h ^ UInt64(asn)) &* 0xFF51_AFD7_ED55_8CCD
        x ^= x >> 32
        return x
    }

    /// The id `recent` holds for hash `h`, if the trie confirms it is the path `asns[from...]`.
    @inline(__always)
    private func recentPath(_ h: UInt64, _ asns: [UInt32], from: Int, _ endsInSet: Bool) -> UInt32? {
        let e = recent[Int(truncatingIfNeeded: h) & (recent.count - 1)]
        guard e != 0, (e ^ h) & recentTagMask == 0 else { return nil }
        let id = UInt32(truncatingIfNeeded: e) - 1
        return holds(id, asns, from: from, endsInSet) ? id : nil
    }

    private mutating func remember(_ h: UInt64, _ id: UInt32) {
        recent[Int(truncatingIfNeeded: h) & (recent.count - 1)] = (h >> 32) << 32 | UInt64(id + 1)
    }

    /// Whether node `id` is the path `asns[from...]` ending as `endsInSet` says.
    private func holds(_ id: UInt32, _ asns: [UInt32], from: Int, _ endsInSet: Bool) -> Bool {
        guard Int(id) < keys.count else { return false }
        var k = keys[Int(id)]
        var i = from
        while true {
            guard k != Self.emptyKey, UInt32(truncatingIfNeeded: k >> 32) == asns[i] else { return false }
            let tail = k & 0xFFFF_FFFF
            i += 1
            if i == asns.count { return tail == (endsInSet ? Self.endsInSet : Self.endsInSequence) }
            guard tail >= 2 else { return false }
            k = keys[Int(tail - 2)]
        }
    }

    /// The id of a path that `intern` was given, without adding it; nil if it never was.
    public func find(_ asns: [UInt32], endsInSet: Bool) -> UInt32? {
        if asns.isEmpty { return lookup(Self.emptyKey) }
        var tail = endsInSet ? Self.endsInSet : Self.endsInSequence
        var id: UInt32 = 0
        for a in asns.reversed() {
            guard let n = lookup(UInt64(a) << 32 | tail) else { return nil }
            id = n
            tail = UInt64(n) + 2
        }
        return id
    }

    private func lookup(_ key: UInt64) -> UInt32? {
        let mask = slots.count - 1
        var i = Self.hash(key) & mask
        while true {
            let s = slots[i]
            if s == 0 { return nil }
            if keys[Int(s - 1)] == key { return s - 1 }
            i = (i + 1) & mask
        }
    }

    /// The nodes' keys in id order, for a checkpoint.
    var packed: [UInt64] { keys }

    /// The table of `packed` keys, each node getting its id back; nil when a key names a
    /// rest that is not an earlier node, or is repeated.
    init?(keys: [UInt64]) {
        guard keys.count < Int(UInt32.max) - 2 else { return nil }
        var size = 1 << 12
        while size * 3 < keys.count * 4 + 4 { size <<= 1 }
        self.keys = keys
        slots = [UInt32](repeating: 0, count: size)
        let mask = size - 1
        for (id, k) in keys.enumerated() {
            let tail = k & 0xFFFF_FFFF
            guard k == Self.emptyKey || tail < 2 || Int(tail - 2) < id else { return nil }
            var i = Self.hash(k) & mask
            while slots[i] != 0 {
                if keys[Int(slots[i] - 1)] == k { return nil }
                i = (i + 1) & mask
            }
            slots[i] = UInt32(id + 1)
        }
    }

    public var memoryBytes: Int { keys.capacity * 8 + slots.capacity * 4 + recent.capacity * 8 }
}

import MRT

/// A map from 64-bit keys to small values, built from possibly nested ranges where the
/// most specific range wins: longest-prefix match, flattened into disjoint intervals
/// and searched by bisection inside one of 65,536 buckets of the key space.
///
/// IPv4 addresses are keys as they are; IPv6 addresses by their upper 64 bits, which no
/// registry delegation or geolocation block is more specific than; ASNs as they are.
public struct RangeTable: Sendable {
    /// Sorted, disjoint intervals [firsts[i], lasts[i]] with their values.
    public private(set) var firsts: [UInt64] = []
    public private(set) var lasts: [UInt64] = []
    public private(set) var values: [UInt16] = []
    /// `bucketStart[b]` is the first interval whose first key is in bucket `b` or later,
    /// where a key's bucket is its top 16 significant bits (`key >> shift`): a lookup
    /// bisects only the intervals starting in its bucket, plus the one before them.
    @usableFromInline var bucketStart: [Int32] = [0, 0]
    @usableFromInline var shift: UInt64 = 0

    public init() {}

    public init(firsts: [UInt64], lasts: [UInt64], values: [UInt16]) {
        self.firsts = firsts
        self.lasts = lasts
        self.values = values
        buildBuckets()
    }

    public var count: Int { firsts.count }

    /// Buckets the key space up to the largest key in 65,536 parts.
    private mutating func buildBuckets() {
        let top = lasts.last ?? 0
        let bits = UInt64(64 - top.leadingZeroBitCount)
        shift = bits > 16 ? bits - 16 : 0
        let buckets = top >> shift + 1
        var starts = [Int32](repeating: Int32(firsts.count), count: Int(buckets) + 1)
        var i = 0
        for b in 0..<Int(buckets) {
            while i < firsts.count, firsts[i] >> shift < UInt64(b) { i += 1 }
            starts[b] = Int32(i)
        }
        bucketStart = starts
    }

    /// Builds the table from ranges that are disjoint or nested (as CIDR blocks are);
    /// inside a range, a range it contains wins.
    public init(ranges: [(first: UInt64, last: UInt64, value: UInt16)]) {
        let sorted = ranges.sorted { $0.first != $1.first ? $0.first < $1.first : $0.last > $1.last }
        var stack: [(last: UInt64, value: UInt16)] = []
        var cursor: UInt64 = 0
        var cursorValid = true  // false once cursor has passed UInt64.max
        func emit(_ first: UInt64, _ last: UInt64, _ value: UInt16) {
            guard first <= last else { return }
            if let i = firsts.indices.last, values[i] == value, lasts[i] != .max, lasts[i] + 1 == first {
                lasts[i] = last
            } else {
                firsts.append(first)
                lasts.append(last)
                values.append(value)
            }
        }
        func pop() {
            let top = stack.removeLast()
            if cursorValid { emit(cursor, top.last, top.value) }
            if top.last == .max { cursorValid = false } else { cursor = top.last + 1 }
        }
        for r in sorted {
            while let top = stack.last, top.last < r.first { pop() }
            if let top = stack.last, cursorValid, cursor < r.first { emit(cursor, r.first - 1, top.value) }
            // A range overlapping the open one without nesting is clipped to it.
            let last = stack.last.map { min($0.last, r.last) } ?? r.last
            cursor = r.first
            cursorValid = true
            stack.append((last, r.value))
        }
        while !stack.isEmpty { pop() }
        buildBuckets()
    }

    /// The value of the interval containing `key`.
    @inlinable
    public func lookup(_ key: UInt64) -> UInt16? {
        let bucket = key >> shift
        // Past the last bucket is past the largest key.
        guard bucket + 1 < UInt64(bucketStart.count) else { return nil }
        return firsts.withUnsafeBufferPointer { f -> UInt16? in
            var lo = Int(bucketStart[Int(bucket)]), hi = Int(bucketStart[Int(bucket) + 1])
            // The first index in the bucket with firsts[i] > key; earlier buckets' are all <= key.
            while lo < hi {
                let mid = (lo + hi) >> 1
                if f[mid] <= key { lo = mid + 1 } else { hi = mid }
            }
            guard lo > 0, key <= lasts[lo - 1] else { return nil }
            return values[lo - 1]
        }
    }
}

extension RangeTable {
    /// The key of an address: IPv4 as it is, IPv6 by its upper 64 bits.
    @inlinable
    public static func key(_ a: IPAddress) -> UInt64 { a.isV6 ? a.high : UInt64(a.v4) }

    /// The inclusive key range of a block.
    public static func range(_ p: Prefix) -> (first: UInt64, last: UInt64) {
        let first = key(p.address)
        let width = p.isV6 ? 64 : 32
        let hostBits = max(0, width - Int(p.length))
        let size: UInt64 = hostBits >= 64 ? .max : (UInt64(1) << UInt64(hostBits)) - 1
        return (first, first &+ size)
    }
}

/// An IPv4 or IPv6 address held in two machine words, with no allocation.
///
/// IPv4 addresses live in the low 32 bits of `low`. Comparison orders IPv4 before IPv6,
/// then numerically.
public struct IPAddress: Hashable, Sendable, Comparable {
    public var high: UInt64
    public var low: UInt64
    public var isV6: Bool

    @inlinable public init(v4: UInt32) {
        high = 0
        low = UInt64(v4)
        isV6 = false
    }

    @inlinable public init(v6High: UInt64, low: UInt64) {
        high = v6High
        self.low = low
        isV6 = true
    }

    /// One word into the hasher instead of three: prefixes and peers key the census's
    /// largest dictionaries.
    @inlinable
    public func hash(into hasher: inout Hasher) {
        hasher.combine(isV6 ? high ^ (low &* 0x9E37_79B9_7F4A_7C15) ^ 1 : low)
    }

    public static let zeroV4 = IPAddress(v4: 0)
    public static let zeroV6 = IPAddress(v6High: 0, low: 0)

    @inlinable public var v4: UInt32 { UInt32(truncatingIfNeeded: low) }
    @inlinable public var isV4: Bool { !isV6 }
    /// 32 or 128.
    @inlinable public var bitWidth: Int { isV6 ? 128 : 32 }

    /// The address with every bit after the first `bits` cleared.
    @inlinable
    public func masked(to bits: Int) -> IPAddress {
        if isV6 {
            if bits >= 128 { return self }
            if bits <= 0 { return .zeroV6 }
            if bits <= 64 {
                let m: UInt64 = bits == 64 ? ~0 : ~(~UInt64(0) >> UInt64(bits))
                return IPAddress(v6High: high & m, low: 0)
            }
            let m: UInt64 = ~(~UInt64(0) >> UInt64(bits - 64))
            return IPAddress(v6High: high, low: low & m)
        }
        if bits >= 32 { return self }
        if bits <= 0 { return .zeroV4 }
        let m: UInt32 = ~(~UInt32(0) >> UInt32(bits))
        return IPAddress(v4: v4 & m)
    }

    /// Whether the first `bits` bits of `self` and `other` agree (same family only).
    @inlinable
    public func sharesPrefix(with other: IPAddress, bits: Int) -> Bool {
        isV6 == other.isV6 && masked(to: bits) == other.masked(to: bits)
    }

    public static func < (a: IPAddress, b: IPAddress) -> Bool {
        if a.isV6 != b.isV6 { return !a.isV6 }
        if a.high != b.high { return a.high < b.high }
        return a.low < b.low
    }

    /// The eight 16-bit groups of an IPv6 address.
    @inlinable
    var groups: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) {
        (UInt16(truncatingIfNeeded: high >> 48), UInt16(truncatingIfNeeded: high >> 32),
         UInt16(truncatingIfNeeded: high >> 16), UInt16(truncatingIfNeeded: high),
         UInt16(truncatingIfNeeded: low >> 48), UInt16(truncatingIfNeeded: low >> 32),
         UInt16(truncatingIfNeeded: low >> 16), UInt16(truncatingIfNeeded: low))
    }
}

// MARK: - Text

extension IPAddress: CustomStringConvertible {
    public var description: String {
        let sink = ByteSink(capacity: 64)
        sink.appendAddress(self)
        return String(decoding: sink.bytes, as: UTF8.self)
    }

    /// Parses dotted-quad IPv4 or RFC 4291 text IPv6 (with `::` and an embedded IPv4 tail).
    public init?(_ text: Substring) {
        if text.contains(":") {
            guard let a = IPAddress.parseV6(text) else { return nil }
            self = a
        } else {
            guard let v = IPAddress.parseV4(text) else { return nil }
            self.init(v4: v)
        }
    }

    public init?(_ text: String) { self.init(Substring(text)) }

    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, let octet = UInt32(p), octet <= 255 else { return nil }
            v = v << 8 | octet
        }
        return v
    }

    static func parseV6(_ text: Substring) -> IPAddress? {
        var head: [UInt16] = []
        var tail: [UInt16] = []
        let halves = text.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ s: Substring, allowV4Tail: Bool) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let items = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, item) in items.enumerated() {
                if allowV4Tail, i == items.count - 1, item.contains(".") {
                    guard let v4 = parseV4(item) else { return nil }
                    out.append(UInt16(v4 >> 16))
                    out.append(UInt16(v4 & 0xFFFF))
                } else {
                    guard !item.isEmpty, item.count <= 4, let g = UInt16(item, radix: 16) else { return nil }
                    out.append(g)
                }
            }
            return out
        }
        if halves.count == 1 {
            guard let g = parseGroups(halves[0], allowV4Tail: true), g.count == 8 else { return nil }
            head = g
        } else {
            guard let h = parseGroups(halves[0], allowV4Tail: false),
                  let t = parseGroups(halves[1], allowV4Tail: true),
                  h.count + t.count <= 7 else { return nil }
            head = h
            tail = t
        }
        var all = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        if all.count != 8 { all = Array(all.prefix(8)) }
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        for i in 0..<4 { hi = hi << 16 | UInt64(all[i]) }
        for i in 4..<8 { lo = lo << 16 | UInt64(all[i]) }
        return IPAddress(v6High: hi, low: lo)
    }
}

extension Substring {
    /// Splits at the first `::` only.
    fileprivate func components(separatedByDoubleColon _: Void) -> [Substring] {
        var i = startIndex
        while i < endIndex {
            let next = index(after: i)
            if self[i] == ":", next < endIndex, self[next] == ":" {
                let rest = self[index(after: next)...]
                if rest.contains("::") { return [self, "", ""] }  // more than one "::": invalid
                return [self[startIndex..<i], rest]
            }
            i = next
        }
        return [self]
    }
}

extension ByteSink {
    /// Dotted-quad IPv4, as `inet_ntoa` prints it.
    @inlinable
    public func appendIPv4(_ v: UInt32) {
        reserve(15)  // then no check per octet
        appendOctetReserved(UInt8(truncatingIfNeeded: v >> 24))
        storage[used] = UInt8(ascii: "."); used &+= 1
        appendOctetReserved(UInt8(truncatingIfNeeded: v >> 16))
        storage[used] = UInt8(ascii: "."); used &+= 1
        appendOctetReserved(UInt8(truncatingIfNeeded: v >> 8))
        storage[used] = UInt8(ascii: "."); used &+= 1
        appendOctetReserved(UInt8(truncatingIfNeeded: v))
    }

    /// An address in the text form `inet_ntop` gives (RFC 5952 zero compression, with
    /// IPv4-mapped and IPv4-compatible addresses ending in dotted quad), which is also
    /// what bgpdump prints.
    @inlinable
    public func appendAddress(_ a: IPAddress) {
        if !a.isV6 {
            appendIPv4(a.v4)
            return
        }
        var g = a.groups
        withUnsafeBytes(of: &g) { raw in
            let words = raw.bindMemory(to: UInt16.self)
            appendIPv6Words(words)
        }
    }

    @usableFromInline
    func appendIPv6Words(_ words: UnsafeBufferPointer<UInt16>) {
        // Longest run of zero words (first one on ties), compressed only if at least 2 long.
        var bestBase = -1, bestLen = 0, curBase = -1, curLen = 0
        for i in 0..<8 {
            if words[i] == 0 {
                if curBase < 0 { curBase = i; curLen = 1 } else { curLen += 1 }
            } else if curBase >= 0 {
                if curLen > bestLen { bestBase = curBase; bestLen = curLen }
                curBase = -1
            }
        }
        if curBase >= 0, curLen > bestLen { bestBase = curBase; bestLen = curLen }
        if bestLen < 2 { bestBase = -1 }
        var i = 0
        while i < 8 {
            if bestBase >= 0, i >= bestBase, i < bestBase + bestLen {
                if i == bestBase { append(UInt8(ascii: ":")) }
                i += 1
                continue
            }
            if i != 0 { append(UInt8(ascii: ":")) }
            // Embedded IPv4: ::a.b.c.d (compatible) or ::ffff:a.b.c.d (mapped).
            if i == 6, bestBase == 0,
               bestLen == 6 || (bestLen == 7 && words[7] != 1) || (bestLen == 5 && words[5] == 0xFFFF) {
                appendIPv4(UInt32(words[6]) << 16 | UInt32(words[7]))
                return
            }
            appendHex(words[i])
            i += 1
        }
        if bestBase >= 0, bestBase + bestLen == 8 { append(UInt8(ascii: ":")) }
    }
}

extension ByteSink {
    /// An address as bgpdump's `fmt_ipv6` prints it, which differs from `inet_ntop` in
    /// compressing the first longest run of zero groups even when it is one group long,
    /// and in printing every IPv4-compatible address (`::a.b.c.d`, above ::1) in dotted form.
    @inlinable
    public func appendAddressBGPDumpStyle(_ a: IPAddress) {
        if !a.isV6 {
            appendIPv4(a.v4)
            return
        }
        if a.high == 0, a.low >> 32 == 0xFFFF {
            append("::ffff:")
            appendIPv4(UInt32(truncatingIfNeeded: a.low))
            return
        }
        if a.high == 0, a.low >> 32 == 0, a.low > 1 {
            append("::")
            appendIPv4(UInt32(truncatingIfNeeded: a.low))
            return
        }
        var g = a.groups
        withUnsafeBytes(of: &g) { raw in
            let words = raw.bindMemory(to: UInt16.self)
            // Length of the zero run starting at each group; the first longest wins.
            var bestStart = -1, bestLen = 0
            var i = 0
            while i < 8 {
                if words[i] == 0 {
                    var j = i
                    while j < 8, words[j] == 0 { j += 1 }
                    if j - i > bestLen { bestStart = i; bestLen = j - i }
                    i = j
                } else {
                    i += 1
                }
            }
            i = 0
            while i < 8 {
                if i == bestStart {
                    if i == 0 { append(UInt8(ascii: ":")) }
                    append(UInt8(ascii: ":"))
                    i += bestLen
                    continue
                }
                appendHex(words[i])
                if i != 7 { append(UInt8(ascii: ":")) }
                i += 1
            }
        }
    }
}

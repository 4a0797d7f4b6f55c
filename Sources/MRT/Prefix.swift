/// An IP prefix: a network address with its host bits cleared, and a length in bits.
public struct Prefix: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    public var length: UInt8

    @inlinable
    public init(address: IPAddress, length: UInt8) {
        self.address = address.masked(to: Int(length))
        self.length = length
    }

    /// Builds a prefix only if `length` fits the address family.
    @inlinable
    public init?(checked address: IPAddress, length: Int) {
        guard length >= 0, length <= address.bitWidth else { return nil }
        self.init(address: address, length: UInt8(length))
    }

    @inlinable public var isV6: Bool { address.isV6 }

    /// One word into the hasher (the address's, with the length folded in).
    @inlinable
    public func hash(into hasher: inout Hasher) {
        let a = address
        hasher.combine((a.isV6 ? a.high ^ (a.low &* 0x9E37_79B9_7F4A_7C15) ^ 1 : a.low << 8) ^ UInt64(length) &* 0xFF51_AFD7_ED55_8CCD)
    }

    /// Whether `other` lies inside `self` (equal or more specific, same family).
    @inlinable
    public func contains(_ other: Prefix) -> Bool {
        other.length >= length && other.address.sharesPrefix(with: address, bits: Int(length))
    }

    public static func < (a: Prefix, b: Prefix) -> Bool {
        a.address != b.address ? a.address < b.address : a.length < b.length
    }

    public var description: String { "\(address)/\(length)" }

    /// Parses `a.b.c.d/n` or `x:y::/n`; a bare address is a host prefix.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let addr = IPAddress(parts[0]) else { return nil }
        if parts.count == 2 {
            guard let len = Int(parts[1]) else { return nil }
            self.init(checked: addr, length: len)
        } else {
            self.init(address: addr, length: UInt8(addr.bitWidth))
        }
    }
}

extension ByteSink {
    @inlinable
    public func appendPrefix(_ p: Prefix) {
        appendAddress(p.address)
        append(UInt8(ascii: "/"))
        appendDecimal(UInt32(p.length))
    }
}

/// A prefix as carried in NLRI: with the ADD-PATH identifier when the session uses
/// RFC 7911 (and MRT records it per RFC 8050).
public struct NLRI: Hashable, Sendable {
    public var prefix: Prefix
    public var pathID: UInt32?

    @inlinable public init(prefix: Prefix, pathID: UInt32? = nil) {
        self.prefix = prefix
        self.pathID = pathID
    }
}

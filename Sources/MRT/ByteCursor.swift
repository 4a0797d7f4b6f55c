/// A bounds-checked, big-endian reader over borrowed bytes.
///
/// Every read checks the remaining length once and advances only on success, in the
/// manner of swift-nio's `ByteBuffer`. Nested structures (a path attribute, an NLRI
/// field) are read through a child cursor bounded by an end offset, so that no length
/// read from the wire can make a read run past its enclosing structure, and nothing is
/// copied or allocated to bound it.
///
/// `position` is relative to the start of the buffer the cursor was created on, so
/// error offsets name the byte inside the MRT record body.
@usableFromInline
struct ByteCursor {
    @usableFromInline let base: UnsafeRawBufferPointer
    @usableFromInline var position: Int
    @usableFromInline let end: Int

    @inlinable
    init(_ base: UnsafeRawBufferPointer) {
        self.base = base
        self.position = 0
        self.end = base.count
    }

    @inlinable
    init(base: UnsafeRawBufferPointer, position: Int, end: Int) {
        self.base = base
        self.position = position
        self.end = end
    }

    @inlinable var remaining: Int { end &- position }
    @inlinable var isAtEnd: Bool { position >= end }

    @inlinable
    func need(_ count: Int, _ what: StaticString) throws(MRTDecodeError) {
        // `count` is non-negative at every call site; `remaining` is non-negative by construction.
        if count > remaining {
            throw MRTDecodeError(.truncated(field: what.description, needed: count, available: remaining), at: position)
        }
    }

    @inlinable
    mutating func u8(_ what: StaticString = "byte") throws(MRTDecodeError) -> UInt8 {
        try need(1, what)
        let v = base[position]
        position &+= 1  // safe: need(1) checked position < end
        return v
    }

    @inlinable
    mutating func u16(_ what: StaticString = "16-bit field") throws(MRTDecodeError) -> UInt16 {
        try need(2, what)
        let v = base.loadUnaligned(fromByteOffset: position, as: UInt16.self)
        position &+= 2  // safe: need(2)
        return UInt16(bigEndian: v)
    }

    @inlinable
    mutating func u32(_ what: StaticString = "32-bit field") throws(MRTDecodeError) -> UInt32 {
        try need(4, what)
        let v = base.loadUnaligned(fromByteOffset: position, as: UInt32.self)
        position &+= 4  // safe: need(4)
        return UInt32(bigEndian: v)
    }

    @inlinable
    mutating func u64(_ what: StaticString = "64-bit field") throws(MRTDecodeError) -> UInt64 {
        try need(8, what)
        let v = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        position &+= 8  // safe: need(8)
        return UInt64(bigEndian: v)
    }

    /// An ASN of the given wire size (2 or 4 octets).
    @inlinable
    mutating func asn(size: Int) throws(MRTDecodeError) -> UInt32 {
        size == 4 ? try u32("ASN") : UInt32(try u16("ASN"))
    }

    @inlinable
    mutating func ipv4() throws(MRTDecodeError) -> IPAddress {
        IPAddress(v4: try u32("IPv4 address"))
    }

    @inlinable
    mutating func ipv6() throws(MRTDecodeError) -> IPAddress {
        try need(16, "IPv6 address")
        let hi = base.loadUnaligned(fromByteOffset: position, as: UInt64.self)
        let lo = base.loadUnaligned(fromByteOffset: position &+ 8, as: UInt64.self)
        position &+= 16  // safe: need(16)
        return IPAddress(v6High: UInt64(bigEndian: hi), low: UInt64(bigEndian: lo))
    }

    @inlinable
    mutating func address(v6: Bool) throws(MRTDecodeError) -> IPAddress {
        v6 ? try ipv6() : try ipv4()
    }

    @inlinable
    mutating func skip(_ count: Int, _ what: StaticString = "bytes") throws(MRTDecodeError) {
        try need(count, what)
        position &+= count  // safe: need(count)
    }

    /// A child cursor over the next `count` bytes; this cursor moves past them.
    @inlinable
    mutating func child(_ count: Int, _ what: StaticString) throws(MRTDecodeError) -> ByteCursor {
        try need(count, what)
        let c = ByteCursor(base: base, position: position, end: position &+ count)
        position &+= count  // safe: need(count)
        return c
    }

    /// The next `count` bytes as a fresh array (for raw attributes kept verbatim).
    @inlinable
    mutating func bytes(_ count: Int, _ what: StaticString) throws(MRTDecodeError) -> [UInt8] {
        try need(count, what)
        let out = Array(UnsafeRawBufferPointer(rebasing: base[position..<(position &+ count)]))
        position &+= count  // safe: need(count)
        return out
    }

    /// Reads a prefix's address bytes (`(bits + 7) / 8` of them) into a full address,
    /// zero-filling the rest and clearing host bits beyond `bits` (RFC 4271 section 4.3).
    @inlinable
    mutating func prefixAddress(bits: Int, v6: Bool) throws(MRTDecodeError) -> IPAddress {
        let byteCount = (bits &+ 7) >> 3
        try need(byteCount, "prefix")
        var hi: UInt64 = 0
        var lo: UInt64 = 0
        var i = 0
        while i < byteCount {
            let b = UInt64(base[position &+ i])
            if v6 {
                if i < 8 { hi |= b << UInt64(56 &- 8 &* i) } else { lo |= b << UInt64(56 &- 8 &* (i &- 8)) }
            } else {
                lo |= b << UInt64(24 &- 8 &* i)
            }
            i &+= 1
        }
        position &+= byteCount  // safe: need(byteCount)
        return v6
            ? IPAddress(v6High: hi, low: lo).masked(to: bits)
            : IPAddress(v4: UInt32(truncatingIfNeeded: lo)).masked(to: bits)
    }
}

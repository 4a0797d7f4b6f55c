/// A growable byte buffer for hot output paths: MRT encoding and text rendering.
///
/// Writes go straight to raw memory after one capacity check per field, with no
/// per-byte uniqueness checks as `Array.append` would make. `flush` hands the bytes
/// to a closure (a file descriptor writer, a compressor) and empties the buffer.
public final class ByteSink {
    @usableFromInline var storage: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var used: Int = 0

    public init(capacity: Int = 1 << 16) {
        self.capacity = max(64, capacity)
        self.storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    /// Number of bytes written and not yet flushed.
    @inlinable public var count: Int { used }

    /// The bytes written so far (valid until the next write).
    @inlinable public var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: storage, count: used)
    }

    @inlinable public var array: [UInt8] { Array(bytes) }

    @inlinable public func removeAll() { used = 0 }

    /// Makes room for `n` more bytes.
    @inlinable
    public func reserve(_ n: Int) {
        if used &+ n > capacity { grow(used + n) }
    }

    @usableFromInline
    func grow(_ needed: Int) {
        var newCapacity = capacity &* 2
        while newCapacity < needed { newCapacity &*= 2 }
        let fresh = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        fresh.update(from: storage, count: used)
        storage.deallocate()
        storage = fresh
        capacity = newCapacity
    }

    @inlinable
    public func append(_ byte: UInt8) {
        reserve(1)
        storage[used] = byte
        used &+= 1
    }

    @inlinable
    public func append(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        reserve(n)
        let src = s.utf8Start
        if n <= 16 {
            // Short literals (field names, separators): a loop beats a call to memmove.
            var i = 0
            while i < n { storage[used &+ i] = src[i]; i &+= 1 }
        } else {
            (storage + used).update(from: src, count: n)
        }
        used &+= n
    }

    @inlinable
    public func append(_ buffer: UnsafeRawBufferPointer) {
        let n = buffer.count
        guard n > 0, let src = buffer.baseAddress else { return }
        reserve(n)
        UnsafeMutableRawPointer(storage + used).copyMemory(from: src, byteCount: n)
        used &+= n
    }

    @inlinable
    public func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    public func append(_ s: String) {
        var s = s
        s.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Removes the byte at `offset`, moving the ones after it down.
    public func remove(at offset: Int) {
        precondition(offset >= 0 && offset < used)
        (storage + offset).update(from: storage + offset + 1, count: used - offset - 1)
        used -= 1
    }

    // MARK: Big-endian integers (MRT encoding)

    @inlinable public func appendBE(_ v: UInt16) {
        reserve(2)
        storage[used] = UInt8(truncatingIfNeeded: v >> 8)
        storage[used &+ 1] = UInt8(truncatingIfNeeded: v)
        used &+= 2
    }

    @inlinable public func appendBE(_ v: UInt32) {
        reserve(4)
        UnsafeMutableRawPointer(storage + used).storeBytes(of: v.bigEndian, as: UInt32.self)
        used &+= 4
    }

    @inlinable public func appendBE(_ v: UInt64) {
        reserve(8)
        UnsafeMutableRawPointer(storage + used).storeBytes(of: v.bigEndian, as: UInt64.self)
        used &+= 8
    }

    /// Overwrites a big-endian UInt16 already written at `offset` (length back-patching).
    @inlinable public func patchBE(_ v: UInt16, at offset: Int) {
        precondition(offset >= 0 && offset + 2 <= used)
        storage[offset] = UInt8(truncatingIfNeeded: v >> 8)
        storage[offset &+ 1] = UInt8(truncatingIfNeeded: v)
    }

    /// Overwrites a big-endian UInt32 already written at `offset` (length back-patching).
    @inlinable public func patchBE(_ v: UInt32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= used)
        UnsafeMutableRawPointer(storage + offset).storeBytes(of: v.bigEndian, as: UInt32.self)
    }

    // MARK: Decimal text

    /// Number of decimal digits of `v`.
    @inlinable
    static func digitCount(_ v: UInt64) -> Int {
        var n = 1
        var x = v
        while x >= 10_000 { x /= 10_000; n &+= 4 }
        if x >= 1000 { return n &+ 3 }
        if x >= 100 { return n &+ 2 }
        if x >= 10 { return n &+ 1 }
        return n
    }

    /// Appends `v` in decimal, as `printf("%u")` does.
    @inlinable
    public func appendDecimal(_ value: UInt32) { appendDigits(value) }

    /// Appends `v` in decimal, as `printf("%llu")` does.
    @inlinable
    public func appendDecimal(_ value: UInt64) { appendDigits(value) }

    /// Decimal digits of `value`, two at a time from a constant table, written back to
    /// front in place. Generic so that 32-bit values use 32-bit division.
    @inlinable @inline(__always)
    func appendDigits<T: FixedWidthInteger & UnsignedInteger>(_ value: T) {
        if value < 10 {
            reserve(1)
            storage[used] = UInt8(truncatingIfNeeded: 48 &+ value)
            used &+= 1
            return
        }
        let n = Self.digitCount(UInt64(value))
        reserve(n)
        let pairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"
        let table = pairs.utf8Start
        var v = value
        var i = used &+ n
        while v >= 100 {
            let r = Int(truncatingIfNeeded: v % 100)
            v /= 100
            i &-= 2
            storage[i] = table[2 &* r]
            storage[i &+ 1] = table[2 &* r &+ 1]
        }
        if v >= 10 {
            let r = Int(truncatingIfNeeded: v)
            storage[i &- 2] = table[2 &* r]
            storage[i &- 1] = table[2 &* r &+ 1]
        } else {
            storage[i &- 1] = UInt8(truncatingIfNeeded: 48 &+ v)
        }
        used &+= n
    }

    /// Appends a value 0...255 in decimal from a table (the octets of dotted quads).
    @inlinable
    public func appendOctet(_ b: UInt8) {
        reserve(3)
        appendOctetReserved(b)
    }

    /// `appendOctet` after the caller reserved 3 bytes.
    @inlinable @inline(__always)
    func appendOctetReserved(_ b: UInt8) {
        // Four bytes per value: its digit count, then the digits.
        let octets: StaticString = "10xx11xx12xx13xx14xx15xx16xx17xx18xx19xx210x211x212x213x214x215x216x217x218x219x220x221x222x223x224x225x226x227x228x229x230x231x232x233x234x235x236x237x238x239x240x241x242x243x244x245x246x247x248x249x250x251x252x253x254x255x256x257x258x259x260x261x262x263x264x265x266x267x268x269x270x271x272x273x274x275x276x277x278x279x280x281x282x283x284x285x286x287x288x289x290x291x292x293x294x295x296x297x298x299x310031013102310331043105310631073108310931103111311231133114311531163117311831193120312131223123312431253126312731283129313031313132313331343135313631373138313931403141314231433144314531463147314831493150315131523153315431553156315731583159316031613162316331643165316631673168316931703171317231733174317531763177317831793180318131823183318431853186318731883189319031913192319331943195319631973198319932003201320232033204320532063207320832093210321132123213321432153216321732183219322032213222322332243225322632273228322932303231323232333234323532363237323832393240324132423243324432453246324732483249325032513252325332543255"
        let entry = octets.utf8Start + Int(b) &* 4
        let n = Int(entry[0] &- 48)
        storage[used] = entry[1]
        storage[used &+ 1] = entry[2]
        storage[used &+ 2] = entry[3]
        used &+= n
    }

    /// Appends a signed value in decimal, as `printf("%d")` does.
    @inlinable
    public func appendDecimal(signed v: Int64) {
        if v < 0 {
            append(UInt8(ascii: "-"))
            appendDecimal(UInt64(bitPattern: 0 &- v))
        } else {
            appendDecimal(UInt64(v))
        }
    }

    /// Appends `v` as zero-padded decimal of exactly `width` digits (width <= 9).
    @inlinable
    public func appendDecimal(_ v: UInt32, width: Int) {
        reserve(width)
        var x = v
        var i = width &- 1
        while i >= 0 {
            storage[used &+ i] = UInt8(truncatingIfNeeded: 48 &+ x % 10)
            x /= 10
            i &-= 1
        }
        used &+= width
    }

    @usableFromInline static let hexDigits: StaticString = "0123456789abcdef"

    /// Appends `v` in lower-case hexadecimal without leading zeros.
    @inlinable
    public func appendHex(_ v: UInt16) {
        reserve(4)
        let hex = Self.hexDigits.utf8Start
        var started = false
        var shift = 12
        while shift >= 0 {
            let d = Int((v >> UInt16(shift)) & 0xF)
            if d != 0 || started || shift == 0 {
                storage[used] = hex[d]
                used &+= 1
                started = true
            }
            shift &-= 4
        }
    }

    /// Appends a byte as two lower-case hex digits.
    @inlinable
    public func appendHexByte(_ b: UInt8) {
        reserve(2)
        let hex = Self.hexDigits.utf8Start
        storage[used] = hex[Int(b >> 4)]
        storage[used &+ 1] = hex[Int(b & 0xF)]
        used &+= 2
    }
}

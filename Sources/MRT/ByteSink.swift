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
        (storage + used).update(from: s.utf8Start, count: n)
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

    @usableFromInline
    static let digitPairs: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 200)
        for i in 0..<100 {
            t[2 * i] = UInt8(48 + i / 10)
            t[2 * i + 1] = UInt8(48 + i % 10)
        }
        return t
    }()

    /// Appends `v` in decimal, as `printf("%u")` does.
    @inlinable
    public func appendDecimal(_ v: UInt32) {
        appendDecimal(UInt64(v))
    }

    @inlinable
    public func appendDecimal(_ value: UInt64) {
        reserve(20)
        var v = value
        if v < 10 {
            storage[used] = UInt8(truncatingIfNeeded: 48 &+ v)
            used &+= 1
            return
        }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes scratch
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { scratch in
            Self.digitPairs.withUnsafeBufferPointer { pairs in
                var i = 24
                while v >= 100 {
                    let r = Int(v % 100)
                    v /= 100
                    i &-= 2
                    scratch[i] = pairs[2 &* r]
                    scratch[i &+ 1] = pairs[2 &* r &+ 1]
                }
                if v >= 10 {
                    let r = Int(v)
                    i &-= 2
                    scratch[i] = pairs[2 &* r]
                    scratch[i &+ 1] = pairs[2 &* r &+ 1]
                } else {
                    i &-= 1
                    scratch[i] = UInt8(truncatingIfNeeded: 48 &+ v)
                }
                n = 24 &- i
                UnsafeMutableRawPointer(storage + used).copyMemory(from: scratch.baseAddress! + i, byteCount: n)
            }
        }
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

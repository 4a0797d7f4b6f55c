/// A small binary format for checkpoints: little-endian integers, IEEE doubles, length-
/// prefixed strings and arrays. Every read is checked against what remains, so a damaged
/// checkpoint is an error naming the offset, never a trap.
public struct CheckpointEncoder {
    public private(set) var bytes: [UInt8] = []

    public init() { bytes.reserveCapacity(1 << 20) }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func bool(_ v: Bool) { bytes.append(v ? 1 : 0) }
    public mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    public mutating func int(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    public mutating func double(_ v: Double) { u64(v.bitPattern) }
    public mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        int(utf8.count)
        bytes += utf8
    }
    public mutating func optionalU32(_ v: UInt32?) {
        bool(v != nil)
        if let v { u32(v) }
    }
    /// Arrays of fixed-width integers as one block (little-endian, as the machines this runs on).
    public mutating func u64s(_ a: [UInt64]) { block(a) }
    public mutating func u32s(_ a: [UInt32]) { block(a) }
    public mutating func u16s(_ a: [UInt16]) { block(a) }

    private mutating func block<T: FixedWidthInteger>(_ a: [T]) {
        int(a.count)
        #if _endian(little)
        a.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in a { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        #endif
    }
    public mutating func array<T>(_ a: [T], _ each: (inout CheckpointEncoder, T) -> Void) {
        int(a.count)
        for v in a { each(&self, v) }
    }
}

/// A 64-bit checksum of `bytes` (multiply-xorshift over 8-byte words), so that a damaged
/// checkpoint is refused instead of restored into a silently wrong state.
public func checkpointChecksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    bytes.withUnsafeBytes { raw in
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(raw.count)
        var i = 0
        while i + 8 <= raw.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 29
            i += 8
        }
        while i < raw.count {
            h = (h ^ UInt64(raw[i])) &* 0x94D0_49BB_1331_11EB
            i += 1
        }
        return h ^ h >> 32
    }
}

/// A checkpoint that cannot be read back.
public struct CheckpointError: Error, Sendable, CustomStringConvertible {
    public var offset: Int
    public var message: String
    public init(offset: Int, _ message: String) {
        self.offset = offset
        self.message = message
    }
    public var description: String { "checkpoint damaged at byte \(offset): \(message)" }
}

public struct CheckpointDecoder {
    private let bytes: [UInt8]
    /// One past the last byte to read.
    private let end: Int
    public private(set) var offset = 0

    /// Reads `bytes`, or their first `end` bytes.
    public init(_ bytes: [UInt8], end: Int? = nil) {
        self.bytes = bytes
        self.end = min(max(0, end ?? bytes.count), bytes.count)
    }

    public var isAtEnd: Bool { offset == end }

    private mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, end - offset >= n else { throw CheckpointError(offset: offset, "ends early (\(n) bytes wanted)") }
        defer { offset += n }
        return bytes[offset..<offset + n]
    }

    private mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let s = try take(MemoryLayout<T>.size)
        var v: T = 0
        for (i, b) in s.enumerated() { v |= T(truncatingIfNeeded: b) << (8 * i) }
        return v
    }

    public mutating func u8() throws -> UInt8 { try fixed(UInt8.self) }
    public mutating func bool() throws -> Bool {
        let at = offset
        switch try u8() {
        case 0: return false
        case 1: return true
        default: throw CheckpointError(offset: at, "not a boolean")
        }
    }
    public mutating func u16() throws -> UInt16 { try fixed(UInt16.self) }
    public mutating func u32() throws -> UInt32 { try fixed(UInt32.self) }
    public mutating func u64() throws -> UInt64 { try fixed(UInt64.self) }
    public mutating func int() throws -> Int { Int(Int64(bitPattern: try u64())) }
    public mutating func double() throws -> Double { Double(bitPattern: try u64()) }
    /// A count of items of at least `itemSize` bytes each, checked against what remains.
    public mutating func count(itemSize: Int = 1) throws -> Int {
        let at = offset
        let n = try int()
        guard n >= 0, n <= (end - offset) / max(itemSize, 1) else {
            throw CheckpointError(offset: at, "count \(n) larger than the data")
        }
        return n
    }
    public mutating func string() throws -> String {
        let n = try count()
        return String(decoding: try take(n), as: UTF8.self)
    }
    public mutating func optionalU32() throws -> UInt32? { try bool() ? try u32() : nil }
    public mutating func u64s() throws -> [UInt64] { try block() }
    public mutating func u32s() throws -> [UInt32] { try block() }
    public mutating func u16s() throws -> [UInt16] { try block() }

    private mutating func block<T: FixedWidthInteger>() throws -> [T] {
        let size = MemoryLayout<T>.size
        let n = try count(itemSize: size)
        let slice = try take(n * size)
        var out = [T](repeating: 0, count: n)
        #if _endian(little)
        out.withUnsafeMutableBytes { dst in slice.withUnsafeBytes { dst.copyMemory(from: $0) } }
        #else
        for i in 0..<n {
            var v: T = 0
            for b in 0..<size { v |= T(truncatingIfNeeded: slice[slice.startIndex + i * size + b]) << (8 * b) }
            out[i] = v
        }
        #endif
        return out
    }
    public mutating func array<T>(_ each: (inout CheckpointDecoder) throws -> T) throws -> [T] {
        let n = try count()
        var out = [T]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try each(&self)) }
        return out
    }
    /// Fails with `message` at the current offset.
    public func fail(_ message: String) -> CheckpointError { CheckpointError(offset: offset, message) }
}

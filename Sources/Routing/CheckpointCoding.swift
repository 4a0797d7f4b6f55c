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
    /// Bytes as they are, with their count.
    public mutating func raw(_ a: [UInt8]) {
        int(a.count)
        bytes += a
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
    /// Bytes written by `CheckpointEncoder.raw`.
    public mutating func raw() throws -> [UInt8] { Array(try take(try count())) }
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

// MARK: Routing tables in pieces

/// A 64-bit checksum computed over bytes given in pieces of any size (the same value
/// however the bytes are split), for the routing tables a checkpoint stores beside itself.
public struct StreamChecksum {
    private var h: UInt64 = 0x243F_6A88_85A3_08D3
    private var carry: UInt64 = 0
    private var carried = 0
    public private(set) var count = 0

    public init() {}

    @inline(__always)
    private mutating func word(_ w: UInt64) {
        h = (h ^ w) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 29
    }

    public mutating func update(_ raw: UnsafeRawBufferPointer) {
        count += raw.count
        var i = 0
        while carried > 0, carried < 8, i < raw.count {
            carry |= UInt64(raw[i]) << (8 * UInt64(carried))
            carried += 1
            i += 1
        }
        if carried == 8 { word(carry); carry = 0; carried = 0 }
        while i + 8 <= raw.count {
            word(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
            i += 8
        }
        while i < raw.count {
            carry |= UInt64(raw[i]) << (8 * UInt64(carried))
            carried += 1
            i += 1
        }
    }

    public var value: UInt64 {
        var x = h
        if carried > 0 { x = (x ^ carry ^ UInt64(carried) << 59) &* 0x94D0_49BB_1331_11EB }
        x ^= UInt64(count) &* 0x9E37_79B9_7F4A_7C15
        return x ^ x >> 32
    }
}

/// Writes bytes in pieces of about `chunkBytes` to `emit` (large arrays straight from their
/// own storage, without a copy), keeping their count and checksum.
public struct ChunkWriter {
    private var buffer: [UInt8] = []
    private let chunkBytes: Int
    private let emit: (UnsafeRawBufferPointer) throws -> Void
    public private(set) var checksum = StreamChecksum()

    public init(chunkBytes: Int = 1 << 20, _ emit: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.chunkBytes = chunkBytes
        self.emit = emit
        buffer.reserveCapacity(chunkBytes)
    }

    private mutating func out(_ raw: UnsafeRawBufferPointer) throws {
        guard raw.count > 0 else { return }
        checksum.update(raw)
        try emit(raw)
    }

    public mutating func flush() throws {
        try buffer.withUnsafeBytes { try out($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    public mutating func append(_ raw: UnsafeRawBufferPointer) throws {
        if buffer.count + raw.count > chunkBytes {
            try flush()
            if raw.count >= chunkBytes / 2 { return try out(raw) }
        }
        buffer.append(contentsOf: raw)
    }

    public mutating func u8(_ v: UInt8) throws { try withUnsafeBytes(of: v) { try append($0) } }
    public mutating func u32(_ v: UInt32) throws { try withUnsafeBytes(of: v.littleEndian) { try append($0) } }
    public mutating func u64(_ v: UInt64) throws { try withUnsafeBytes(of: v.littleEndian) { try append($0) } }
    public mutating func int(_ v: Int) throws { try u64(UInt64(bitPattern: Int64(v))) }
    public mutating func string(_ s: String) throws {
        let utf8 = Array(s.utf8)
        try int(utf8.count)
        try utf8.withUnsafeBytes { try append($0) }
    }

    /// A count, then the integers little-endian.
    public mutating func block<T: FixedWidthInteger>(_ a: UnsafeBufferPointer<T>) throws {
        try int(a.count)
        #if _endian(little)
        try append(UnsafeRawBufferPointer(a))
        #else
        for v in a { try withUnsafeBytes(of: v.littleEndian) { try append($0) } }
        #endif
    }
}

/// A source of the pieces `ChunkWriter` wrote, in order; nil after the last.
public final class ChunkSource: @unchecked Sendable {
    private let next: () throws -> [UInt8]?
    public init(_ next: @escaping () throws -> [UInt8]?) { self.next = next }
    /// The pieces of one array of bytes.
    public convenience init(bytes: [UInt8]) {
        var given = false
        self.init { defer { given = true }; return given ? nil : bytes }
    }
    func pull() throws -> [UInt8]? { try next() }
}

/// Reads what `ChunkWriter` wrote, from a `ChunkSource`, every read checked against what
/// remains, keeping the checksum of what it read.
public struct ChunkReader {
    private let source: ChunkSource
    private var chunk: [UInt8] = []
    private var at = 0
    /// Bytes read before the current chunk.
    private var before = 0
    private let limit: Int
    public private(set) var checksum = StreamChecksum()

    /// Reads at most `limit` bytes.
    public init(_ source: ChunkSource, limit: Int) {
        self.source = source
        self.limit = limit
    }

    /// Bytes read so far.
    public var offset: Int { before + at }

    public func fail(_ message: String) -> CheckpointError { CheckpointError(offset: offset, "routing tables: " + message) }

    /// Fills `dst` with the next bytes.
    public mutating func read(into dst: UnsafeMutableRawBufferPointer) throws {
        guard limit - offset >= dst.count else { throw fail("end early (\(dst.count) bytes wanted)") }
        var done = 0
        while done < dst.count {
            if at == chunk.count {
                before += chunk.count
                at = 0
                guard let next = try source.pull() else { throw fail("end early (\(dst.count - done) bytes missing)") }
                chunk = next
                continue
            }
            let n = min(dst.count - done, chunk.count - at)
            chunk.withUnsafeBytes { src in
                let piece = UnsafeRawBufferPointer(rebasing: src[at..<at + n])
                checksum.update(piece)
                UnsafeMutableRawBufferPointer(rebasing: dst[done..<done + n]).copyMemory(from: piece)
            }
            done += n
            at += n
        }
    }

    /// Whether every byte of the source was read.
    public mutating func isAtEnd() throws -> Bool {
        while at == chunk.count {
            before += chunk.count
            at = 0
            guard let next = try source.pull() else { return true }
            chunk = next
        }
        return false
    }

    private mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws -> T {
        var v: T = 0
        try withUnsafeMutableBytes(of: &v) { try read(into: $0) }
        return T(littleEndian: v)
    }

    public mutating func u8() throws -> UInt8 { try fixed(UInt8.self) }
    public mutating func u32() throws -> UInt32 { try fixed(UInt32.self) }
    public mutating func u64() throws -> UInt64 { try fixed(UInt64.self) }
    public mutating func int() throws -> Int { Int(Int64(bitPattern: try u64())) }
    /// A count of items of `itemSize` bytes each, checked against the limit.
    public mutating func count(itemSize: Int) throws -> Int {
        let n = try int()
        guard n >= 0, n <= (limit - offset) / max(itemSize, 1) else { throw fail("count \(n) larger than the data") }
        return n
    }
    public mutating func string() throws -> String {
        let n = try count(itemSize: 1)
        var bytes = [UInt8](repeating: 0, count: n)
        try bytes.withUnsafeMutableBytes { try read(into: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
    /// An array written by `ChunkWriter.block`.
    public mutating func block<T: FixedWidthInteger>(_: T.Type) throws -> [T] {
        let n = try count(itemSize: MemoryLayout<T>.size)
        var out = [T](repeating: 0, count: n)
        try out.withUnsafeMutableBytes { try read(into: $0) }
        #if !_endian(little)
        for i in out.indices { out[i] = T(littleEndian: out[i]) }
        #endif
        return out
    }
}

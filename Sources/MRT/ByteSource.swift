/// Where MRT bytes come from: a file, a decompressor, standard input, a socket.
///
/// `MRTReader` pulls from a source; implementations live in `MRTArchive` (plain,
/// gzip, bzip2) and in tests (memory).
public protocol ByteSource: AnyObject {
    /// Reads up to `buffer.count` bytes and returns how many were read; 0 means the end.
    /// Throws when the bytes cannot be had (I/O error, corrupt or truncated compressed stream).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A source over bytes in memory.
public final class MemorySource: ByteSource {
    private let bytes: [UInt8]
    private var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position)
        if n > 0 {
            bytes.withUnsafeBytes { src in
                buffer.baseAddress!.copyMemory(from: src.baseAddress! + position, byteCount: n)
            }
            position += n
        }
        return n
    }
}

/// Thrown by a source's `read` when bytes were lost but the source can go on (a damaged
/// compressed block): the reader reports `reason` as a source failure, drops the record
/// the loss cuts through and resynchronises at the next record. The next `read` returns
/// the bytes after the loss.
public struct ByteSourceGap: Error, Sendable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

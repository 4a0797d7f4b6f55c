import CBzip2
import MRT

/// Decompresses bzip2, including files of several concatenated streams, through the
/// system libbz2.
public final class Bzip2Source: ByteSource {
    private let input: FileSource
    private var stream = bz_stream()
    private var inBuffer: UnsafeMutablePointer<CChar>
    private let inCapacity = 1 << 18
    private var inputEnded = false
    private var streamEnded = false
    private var initialized = false

    public init(input: FileSource) throws(ArchiveError) {
        self.input = input
        inBuffer = .allocate(capacity: inCapacity)
        guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else {
            inBuffer.deallocate()
            throw ArchiveError(path: input.path, reason: .corrupt(format: "bzip2", message: "init failed"))
        }
        initialized = true
    }

    deinit {
        if initialized { BZ2_bzDecompressEnd(&stream) }
        inBuffer.deallocate()
    }

    private func refill() throws {
        if stream.avail_in > 0 || inputEnded { return }
        let n = try input.read(into: UnsafeMutableRawBufferPointer(start: inBuffer, count: inCapacity))
        if n == 0 { inputEnded = true }
        stream.next_in = inBuffer
        stream.avail_in = UInt32(n)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = base.assumingMemoryBound(to: CChar.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let wanted = Int(stream.avail_out)
        while stream.avail_out > 0 {
            try refill()
            if streamEnded {
                if stream.avail_in == 0 && inputEnded { break }
                if stream.avail_in == 0 { continue }
                // Another bzip2 stream follows (as pbzip2 writes): start it afresh.
                let pendingIn = stream.next_in
                let pendingCount = stream.avail_in
                let out = stream.next_out
                let outCount = stream.avail_out
                BZ2_bzDecompressEnd(&stream)
                stream = bz_stream()
                guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else {
                    initialized = false
                    throw ArchiveError(path: input.path, reason: .corrupt(format: "bzip2", message: "init failed"))
                }
                stream.next_in = pendingIn
                stream.avail_in = pendingCount
                stream.next_out = out
                stream.avail_out = outCount
                streamEnded = false
            }
            if stream.avail_in == 0 && inputEnded {
                let produced = wanted - Int(stream.avail_out)
                if produced > 0 { return produced }
                throw ArchiveError(path: input.path, reason: .truncated(format: "bzip2"),
                                   compressedOffset: input.bytesRead)
            }
            let rc = BZ2_bzDecompress(&stream)
            switch rc {
            case BZ_OK: continue
            case BZ_STREAM_END: streamEnded = true
            default:
                let produced = wanted - Int(stream.avail_out)
                if produced > 0 { return produced }
                throw ArchiveError(path: input.path, reason: .corrupt(format: "bzip2", message: "error \(rc)"),
                                   compressedOffset: input.bytesRead - UInt64(stream.avail_in))
            }
        }
        return wanted - Int(stream.avail_out)
    }
}

import CZlib
import MRT

/// Decompresses gzip (RFC 1952), including files of several concatenated members, and
/// zlib streams, through the system zlib.
public final class GzipSource: ByteSource {
    private let input: FileSource
    private var stream = z_stream()
    private var inBuffer: UnsafeMutablePointer<UInt8>
    private let inCapacity = 1 << 18
    private var inputEnded = false
    private var memberEnded = false
    private var initialized = false

    public init(input: FileSource) throws(ArchiveError) {
        self.input = input
        inBuffer = .allocate(capacity: inCapacity)
        // 15 window bits + 32: detect gzip or zlib headers automatically.
        let rc = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else {
            inBuffer.deallocate()
            throw ArchiveError(path: input.path, reason: .corrupt(format: "gzip", message: "inflateInit failed (\(rc))"))
        }
        initialized = true
    }

    deinit {
        if initialized { inflateEnd(&stream) }
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
        stream.next_out = base.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let wanted = Int(stream.avail_out)
        while stream.avail_out > 0 {
            try refill()
            if memberEnded {
                // After a member's end: another member follows, or the file ends.
                if stream.avail_in == 0 && inputEnded { break }
                if stream.avail_in == 0 { continue }
                inflateReset(&stream)
                memberEnded = false
            }
            if stream.avail_in == 0 && inputEnded {
                let produced = wanted - Int(stream.avail_out)
                if produced > 0 { return produced }  // hand over what we have; fail on the next call
                throw ArchiveError(path: input.path, reason: .truncated(format: "gzip"),
                                   compressedOffset: input.bytesRead)
            }
            let rc = inflate(&stream, Z_NO_FLUSH)
            switch rc {
            case Z_OK: continue
            case Z_STREAM_END: memberEnded = true
            case Z_BUF_ERROR: continue  // needs more input; refill decides
            default:
                let produced = wanted - Int(stream.avail_out)
                if produced > 0 { return produced }
                let msg = stream.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw ArchiveError(path: input.path, reason: .corrupt(format: "gzip", message: msg),
                                   compressedOffset: input.bytesRead - UInt64(stream.avail_in))
            }
        }
        return wanted - Int(stream.avail_out)
    }
}

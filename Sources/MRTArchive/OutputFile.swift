#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBzip2
import CZlib
import MRT

/// A file written plain, or compressed with gzip (zlib) or bzip2 (libbz2), for the MRT
/// writer's output. `close()` finishes the compressed stream; until then the file is
/// incomplete.
public final class OutputFile {
    public let path: String
    public let compression: Compression
    private let fd: Int32
    private var zstream = z_stream()
    private var bzstream = bz_stream()
    private var outBuffer = [UInt8](repeating: 0, count: 1 << 16)
    private var closed = false

    public init(path: String, compression: Compression) throws(ArchiveError) {
        self.path = path
        self.compression = compression
        let f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard f >= 0 else { throw ArchiveError(path: path, reason: .cannotOpen(errno: errno)) }
        fd = f
        switch compression {
        case .gzip:
            // 15 window bits + 16: write a gzip header and trailer (RFC 1952).
            guard deflateInit2_(&zstream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                                Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                Glibc.close(f)
                throw ArchiveError(path: path, reason: .corrupt(format: "gzip", message: "deflateInit failed"))
            }
        case .bzip2:
            guard BZ2_bzCompressInit(&bzstream, 9, 0, 0) == BZ_OK else {
                Glibc.close(f)
                throw ArchiveError(path: path, reason: .corrupt(format: "bzip2", message: "init failed"))
            }
        case .none:
            break
        }
    }

    deinit {
        if !closed { try? close() }
    }

    /// Writes the sink's bytes and empties it.
    public func write(_ sink: ByteSink) throws(ArchiveError) {
        try write(UnsafeRawBufferPointer(sink.bytes))
        sink.removeAll()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        guard bytes.count > 0 else { return }
        switch compression {
        case .none:
            try writeRaw(bytes)
        case .gzip:
            zstream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            zstream.avail_in = UInt32(bytes.count)
            try pumpGzip(flush: Z_NO_FLUSH)
        case .bzip2:
            bzstream.next_in = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: CChar.self))
            bzstream.avail_in = UInt32(bytes.count)
            try pumpBzip2(action: BZ_RUN)
        }
    }

    /// Finishes the compressed stream and closes the file.
    public func close() throws(ArchiveError) {
        guard !closed else { return }
        closed = true
        defer { Glibc.close(fd) }
        switch compression {
        case .gzip:
            try pumpGzip(flush: Z_FINISH)
            deflateEnd(&zstream)
        case .bzip2:
            try pumpBzip2(action: BZ_FINISH)
            BZ2_bzCompressEnd(&bzstream)
        case .none:
            break
        }
    }

    private func pumpGzip(flush: Int32) throws(ArchiveError) {
        var failure: ArchiveError?
        outBuffer.withUnsafeMutableBytes { out in
            while true {
                zstream.next_out = out.baseAddress!.assumingMemoryBound(to: UInt8.self)
                zstream.avail_out = UInt32(out.count)
                let rc = deflate(&zstream, flush)
                let produced = out.count - Int(zstream.avail_out)
                do { try writeRaw(UnsafeRawBufferPointer(rebasing: out[0..<produced])) } catch { failure = error as? ArchiveError; return }
                if flush == Z_FINISH { if rc == Z_STREAM_END { return } } else if zstream.avail_in == 0 && zstream.avail_out > 0 { return }
                if rc != Z_OK && rc != Z_BUF_ERROR && rc != Z_STREAM_END {
                    failure = ArchiveError(path: path, reason: .corrupt(format: "gzip", message: "deflate error \(rc)"))
                    return
                }
            }
        }
        if let failure { throw failure }
    }

    private func pumpBzip2(action: Int32) throws(ArchiveError) {
        var failure: ArchiveError?
        outBuffer.withUnsafeMutableBytes { out in
            while true {
                bzstream.next_out = out.baseAddress!.assumingMemoryBound(to: CChar.self)
                bzstream.avail_out = UInt32(out.count)
                let rc = BZ2_bzCompress(&bzstream, action)
                let produced = out.count - Int(bzstream.avail_out)
                do { try writeRaw(UnsafeRawBufferPointer(rebasing: out[0..<produced])) } catch { failure = error as? ArchiveError; return }
                if action == BZ_FINISH { if rc == BZ_STREAM_END { return } } else if bzstream.avail_in == 0 { return }
                if rc < 0 {
                    failure = ArchiveError(path: path, reason: .corrupt(format: "bzip2", message: "compress error \(rc)"))
                    return
                }
            }
        }
        if let failure { throw failure }
    }

    private func writeRaw(_ bytes: UnsafeRawBufferPointer) throws(ArchiveError) {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw ArchiveError(path: path, reason: .writeFailed(errno: errno))
            }
            offset += n
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MRT

/// Raw bytes of a file or of standard input, read with `read(2)`.
public final class FileSource: ByteSource {
    public let path: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    /// Bytes peeked for format detection, handed out before the rest of the file.
    private var pushback: [UInt8] = []
    public private(set) var bytesRead: UInt64 = 0

    /// Opens `path`; `-` means standard input.
    public init(path: String) throws(ArchiveError) {
        self.path = path
        if path == "-" {
            fd = 0
            ownsDescriptor = false
            return
        }
        let f = open(path, O_RDONLY)
        guard f >= 0 else { throw ArchiveError(path: path, reason: .cannotOpen(errno: errno)) }
        var st = stat()
        if fstat(f, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(f)
            throw ArchiveError(path: path, reason: .isDirectory)
        }
        fd = f
        ownsDescriptor = true
    }

    deinit { if ownsDescriptor { close(fd) } }

    /// The first `n` bytes (fewer for a short file), without consuming them.
    public func peek(_ n: Int) throws(ArchiveError) -> [UInt8] {
        while pushback.count < n {
            var chunk = [UInt8](repeating: 0, count: n - pushback.count)
            let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw ArchiveError(path: path, reason: .readFailed(errno: errno))
            }
            if got == 0 { break }
            pushback.append(contentsOf: chunk[0..<got])
        }
        return Array(pushback.prefix(n))
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if !pushback.isEmpty {
            let n = min(buffer.count, pushback.count)
            pushback.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: n) }
            pushback.removeFirst(n)
            bytesRead += UInt64(n)
            return n
        }
        while true {
            let got = Glibc.read(fd, base, buffer.count)
            if got < 0 {
                if errno == EINTR { continue }
                throw ArchiveError(path: path, reason: .readFailed(errno: errno))
            }
            bytesRead += UInt64(got)
            return got
        }
    }
}

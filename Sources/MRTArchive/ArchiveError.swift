#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an input could not be opened or read.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable {
        case cannotOpen(errno: Int32)
        case isDirectory
        case readFailed(errno: Int32)
        case writeFailed(errno: Int32)
        /// The compressed stream is corrupt (`message` from the library).
        case corrupt(format: String, message: String)
        /// The compressed stream ends before its end marker.
        case truncated(format: String)
    }

    public var path: String
    public var reason: Reason
    /// Offset in the compressed file where the problem was found, when known.
    public var compressedOffset: UInt64?

    public init(path: String, reason: Reason, compressedOffset: UInt64? = nil) {
        self.path = path
        self.reason = reason
        self.compressedOffset = compressedOffset
    }

    public var description: String {
        let at = compressedOffset.map { " (compressed offset \($0))" } ?? ""
        switch reason {
        case .cannotOpen(let e): return "\(path): cannot open: \(String(cString: strerror(e)))"
        case .isDirectory: return "\(path): is a directory"
        case .readFailed(let e): return "\(path): read failed: \(String(cString: strerror(e)))"
        case .writeFailed(let e): return "\(path): write failed: \(String(cString: strerror(e)))"
        case let .corrupt(format, message): return "\(path): corrupt \(format) stream: \(message)\(at)"
        case .truncated(let format): return "\(path): \(format) stream ends unexpectedly (file truncated?)\(at)"
        }
    }
}

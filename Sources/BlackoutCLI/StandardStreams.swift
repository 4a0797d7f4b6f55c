#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MRT

/// Writing to standard output and standard error without Foundation's buffering.
enum StandardStreams {
    static var stdoutIsTerminal: Bool { isatty(1) != 0 }
    static var stderrIsTerminal: Bool { isatty(2) != 0 }

    /// Writes the sink's bytes to `fd` and empties it. Returns false if the reader went away.
    @discardableResult
    static func flush(_ sink: ByteSink, to fd: Int32 = 1) -> Bool {
        let ok = write(sink.bytes, to: fd)
        sink.removeAll()
        return ok
    }

    static func write(_ bytes: UnsafeBufferPointer<UInt8>, to fd: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// One line to standard output at once, unbuffered: for lines that report as things happen.
    static func printLine(_ line: String) {
        var text = line
        if !text.hasSuffix("\n") { text += "\n" }
        text.withUTF8 { _ = write($0, to: 1) }
    }

    static func printError(_ line: String) {
        var text = line
        if !text.hasSuffix("\n") { text += "\n" }
        text.withUTF8 { _ = write($0, to: 2) }
    }
}

/// Exit codes of the commands.
enum ExitCodes {
    /// The input had damaged records or bytes, which were skipped and reported.
    static let damagedInput: Int32 = 3
}

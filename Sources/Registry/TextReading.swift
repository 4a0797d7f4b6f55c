import MRT
import MRTArchive

/// Reads a whole (possibly gzip or bzip2 compressed) text file.
func readText(_ path: String) throws -> [UInt8] {
    let source = try Input.open(path, prefetch: false).source
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 18)
    while true {
        let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { return out }
        out.append(contentsOf: buffer[0..<n])
    }
}

/// Lines of `text`, without their end-of-line bytes.
func forEachLine(_ text: [UInt8], _ body: (Int, ArraySlice<UInt8>) -> Void) {
    var start = 0
    var number = 0
    while start < text.count {
        var end = start
        while end < text.count, text[end] != 10 { end += 1 }
        number += 1
        var line = text[start..<end]
        if line.last == 13 { line = line.dropLast() }
        body(number, line)
        start = end + 1
    }
}

import Foundation
import MRT
import MRTArchive
import MRTFormat
import TestSupport

/// The real archives in `../shared/data` beside the checkout (never copied into the repository).
enum SharedData {
    static var root: URL { TestData.root }
    static var available: Bool { TestData.available }
    static func path(_ relative: String) -> String { TestData.path(relative) }
    static var bgpdumpAvailable: Bool { TestData.bgpdumpAvailable }

    /// Every MRT file under mrt/, relative to data/, except bgpdump's expected outputs.
    static let mrtFiles: [String] = {
        let base = root.appendingPathComponent("mrt")
        guard let e = FileManager.default.enumerator(atPath: base.path) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            let full = base.appendingPathComponent(rel).path
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { continue }
            if rel.contains("test_expect") || rel.hasSuffix(".md") || rel.hasSuffix(".rst")
                || rel.hasSuffix(".conf") || rel.hasSuffix(".json") || rel.hasSuffix("LICENSE") { continue }
            out.append("mrt/" + rel)
        }
        return out.sorted()
    }()
}

/// What decoding a file produced.
struct Decoded {
    var text: [UInt8]
    var elements: [RouteElement]
    var stream: ElementStream.Stats
    var reader: MRTReader.Stats
    var diagnostics: [MRTDiagnostic]

    var lines: [Substring] { String(decoding: text, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast() }
}

/// Reads a whole input's uncompressed bytes through Blackout's own sources.
func readAll(_ path: String) throws -> [UInt8] {
    let source = try Input.open(path, prefetch: false).source
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = try buf.withUnsafeMutableBytes { try source.read(into: $0) }
        if n == 0 { break }
        out.append(contentsOf: buf[0..<n])
    }
    return out
}

/// Decodes a source to elements and to text in a format.
func decode(source: ByteSource, name: String, format: OutputFormat = .bgpdump, keepElements: Bool = false,
            strict: Bool = false) throws -> Decoded {
    let reader = MRTReader(source: source, name: name, options: .init(strict: strict))
    var diagnostics: [MRTDiagnostic] = []
    reader.onDiagnostic = { diagnostics.append($0) }
    let stream = ElementStream(reader: reader)
    stream.onDiagnostic = { diagnostics.append($0) }
    let sink = ByteSink(capacity: 1 << 20)
    let formatter = format.makeFormatter()
    formatter.writeHeader(to: sink)
    var elements: [RouteElement] = []
    try stream.forEach { e in
        formatter.write(e, to: sink)
        if keepElements { elements.append(e) }
    }
    return Decoded(text: sink.array, elements: elements, stream: stream.stats, reader: reader.stats,
                   diagnostics: diagnostics)
}

func decode(file relative: String, format: OutputFormat = .bgpdump, keepElements: Bool = false,
            strict: Bool = false) throws -> Decoded {
    let path = SharedData.path(relative)
    return try decode(source: Input.open(path).source, name: path, format: format, keepElements: keepElements,
                      strict: strict)
}

func decode(bytes: [UInt8], format: OutputFormat = .bgpdump, keepElements: Bool = false) throws -> Decoded {
    try decode(source: MemorySource(bytes), name: "memory", format: format, keepElements: keepElements)
}

/// Debian's bgpdump -m output of a file.
func bgpdump(_ path: String) throws -> [UInt8] { [UInt8](try TestData.bgpdump(path)) }

func lines(_ bytes: [UInt8]) -> [Substring] {
    String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
}

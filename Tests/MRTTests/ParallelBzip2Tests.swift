import Foundation
import MRT
@testable import MRTArchive
import Testing
import TestSupport

/// bzip2 decoded block by block on several threads (`ParallelBzip2Source`): the same
/// bytes as bzcat on every real file and on concatenated streams; a damaged block costs
/// its own records only; truncated, empty and tiny files.
@Suite(.enabled(if: SharedData.available && Bzip2Tools.available, "../shared/data or bzip2 tools missing"))
struct ParallelBzip2Tests {
    static let bz2Files: [String] = SharedData.mrtFiles.filter { $0.hasSuffix(".bz2") }

    /// Every .bz2 under ../shared/data: the same bytes as bzcat and as libbz2 in one
    /// thread (`Bzip2Source`). A truncated file fails after the same bytes as libbz2 gives,
    /// of which bzcat prints all but its last partial buffer.
    @Test(arguments: bz2Files)
    func identicalToBzcat(file: String) throws {
        let path = SharedData.path(file)
        let (expected, bzcatFailed, _) = try Bzip2Tools.run(["bzcat", path])
        let ours = try Bzip2Tools.readParallel(path)
        let single = try Bzip2Tools.readSingle(path)
        #expect(same(ours.bytes, single.bytes), "\(file): \(ours.bytes.count) bytes, libbz2 \(single.bytes.count)")
        #expect(ours.gaps.isEmpty)
        // The same blocks decoded by libbz2 on the workers (re-wrapped as one-block streams).
        let wrapped = try Bzip2Tools.readParallel(path, libbz2: true)
        #expect(same(wrapped.bytes, ours.bytes))
        #expect(wrapped.gaps.isEmpty && (wrapped.failure == nil) == (ours.failure == nil))
        if bzcatFailed {
            #expect(ours.bytes.count > expected.count && same(Array(ours.bytes.prefix(expected.count)), expected))
            let failure = try #require(ours.failure as? ArchiveError)
            guard case .truncated = failure.reason else { Issue.record("\(failure)"); return }
            #expect(single.failure != nil)
        } else {
            #expect(same(ours.bytes, expected), "\(file): \(ours.bytes.count) bytes, bzcat \(expected.count)")
            #expect(ours.failure == nil)
            #expect(single.failure == nil)
        }
    }

    /// Concatenated streams (as pbzip2 writes), with an empty stream among them and
    /// different levels: the bytes of all of them, in order.
    @Test func multiStream() throws {
        let dir = try TempDir()
        let raw = try Bzip2Tools.run(["bzcat", SharedData.path(Bzip2Tools.updates)]).out
        let parts = [raw[0..<1_000_000], raw[1_000_000..<1_000_000], raw[1_000_000..<2_345_678], raw[2_345_678...]]
        var file: [UInt8] = []
        for (i, part) in parts.enumerated() {
            let level = ["-1", "-9", "-3", "-9"][i]
            file += try Bzip2Tools.run(["bzip2", "-c", level], input: Array(part)).out
        }
        let path = dir.write("multi.bz2", file)
        let ours = try Bzip2Tools.readParallel(path)
        #expect(ours.failure == nil)
        #expect(ours.gaps.isEmpty)
        #expect(same(ours.bytes, raw))
        #expect(same(ours.bytes, try Bzip2Tools.run(["bzcat", path]).out))
        // Through Input.open (what the commands use).
        #expect(same(try readAll(path), raw))
    }

    /// A magic occurring by chance inside a block cuts it in two: the first part fails to
    /// decode, joined with the second it decodes, and nothing is reported.
    @Test func falseMagicInsideBlock() throws {
        let dir = try TempDir()
        let (path, blocks) = try Bzip2Tools.level1File(in: dir)
        let raw = try Bzip2Tools.run(["bzcat", path]).out
        let b = blocks[2]
        let cuts = [(b.start + b.end) / 2, (b.start + 3 * b.end) / 4, blocks[4].start + 1000]
        let ours = try Bzip2Tools.readParallel(path, falseMagics: cuts)
        #expect(ours.failure == nil)
        #expect(ours.gaps.isEmpty)
        #expect(same(ours.bytes, raw))
    }

    /// Bytes flipped inside the second block of a file of 100 kB blocks: that block is
    /// reported (once), and every record wholly outside its bytes is read, the same
    /// elements as from the clean file. With either block decoder.
    @Test(arguments: [false, true])
    func damagedBlockInTheMiddle(libbz2: Bool) throws {
        let dir = try TempDir()
        let (path, blocks) = try Bzip2Tools.level1File(in: dir)
        let sizes = try Bzip2Tools.blockSizes(path, in: dir)
        #expect(sizes.count == blocks.count)
        let raw = try Bzip2Tools.run(["bzcat", path]).out
        #expect(sizes.reduce(0, +) == raw.count)
        let lost = sizes[0]..<(sizes[0] + sizes[1])

        var damaged = try Data(contentsOf: URL(fileURLWithPath: path))
        let middle = (blocks[1].start + blocks[1].end) / 16
        for i in middle..<(middle + 4) { damaged[i] ^= 0xFF }
        let damagedPath = dir.write("damaged.bz2", [UInt8](damaged))

        // Elements of each record of the clean file, and where each record lies.
        let records = try Bzip2Tools.recordExtents(raw)
        let kept = records.filter { $0.end <= lost.lowerBound || $0.start >= lost.upperBound }
        #expect(kept.count < records.count)
        let expected = kept.reduce(0) { $0 + $1.elements }

        let source = try #require(ParallelBzip2Source(input: try FileSource(path: damagedPath), workers: 2,
                                                      falseMagics: [], useLibbz2: libbz2))
        let ours = try decode(source: source, name: damagedPath)
        let failures = ours.diagnostics.filter { if case .sourceFailed = $0.problem { return true } else { return false } }
        #expect(failures.count == 1)
        #expect(failures.first?.description.contains("is damaged") == true)
        #expect(ours.reader.sourceFailures == 1)
        #expect(ours.stream.elements == expected)
        #expect(ours.stream.damagedRecords == 0)
        // The bytes handed out are the file's less that block.
        let bytes = try Bzip2Tools.readParallel(damagedPath, libbz2: libbz2)
        #expect(bytes.gaps.count == 1)
        #expect(bytes.failure == nil)
        #expect(same(bytes.bytes, Array(raw[..<lost.lowerBound]) + Array(raw[lost.upperBound...])))
    }

    /// A file cut inside its fourth block: the three blocks before it, then a truncation
    /// error (bzcat prints the same bytes but its last partial buffer).
    @Test func truncatedInsideABlock() throws {
        let dir = try TempDir()
        let (path, blocks) = try Bzip2Tools.level1File(in: dir)
        let raw = try Bzip2Tools.run(["bzcat", path]).out
        let sizes = try Bzip2Tools.blockSizes(path, in: dir)
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let cutPath = dir.write("cut.bz2", Array(whole[..<((blocks[3].start + blocks[3].end) / 16)]))
        let (printed, failed, _) = try Bzip2Tools.run(["bzcat", cutPath])
        #expect(failed)
        let ours = try Bzip2Tools.readParallel(cutPath)
        #expect(ours.bytes.count == sizes[0..<3].reduce(0, +))
        #expect(same(ours.bytes, Array(raw.prefix(ours.bytes.count))))
        #expect(same(Array(ours.bytes.prefix(printed.count)), printed))
        let failure = try #require(ours.failure as? ArchiveError)
        #expect(failure.description.contains("bzip2 stream ends unexpectedly"))
        #expect(ours.gaps.isEmpty)
    }

    /// Empty and tiny inputs: an empty stream, two, a stream of one byte, a bare header,
    /// a header and half a magic, a stream with bytes after it.
    @Test func emptyAndTiny() throws {
        let dir = try TempDir()
        let empty = try Bzip2Tools.run(["bzip2", "-c"], input: []).out
        let one = try Bzip2Tools.run(["bzip2", "-c"], input: [0x42]).out
        let cases: [(String, [UInt8], [UInt8], Bool)] = [
            ("empty", empty, [], false),
            ("two empty", empty + empty, [], false),
            ("one byte", one, [0x42], false),
            ("empty then one byte", empty + one + empty, [0x42], false),
            ("header only", Array("BZh9".utf8), [], true),
            ("header and half a magic", Array(one[0..<7]), [], true),
            ("one byte then garbage", one + [0, 0, 0, 7], [0x42], false),
            ("one byte cut in its end marker", Array(one.dropLast(3)), [0x42], true),
        ]
        for (name, file, expected, fails) in cases {
            let path = dir.write(name.replacingOccurrences(of: " ", with: "-") + ".bz2", file)
            let ours = try Bzip2Tools.readParallel(path)
            #expect(ours.bytes == expected, "\(name)")
            #expect(ours.gaps.isEmpty, "\(name)")
            #expect((ours.failure != nil) == fails, "\(name): \(String(describing: ours.failure))")
        }
    }

    /// One worker, or many more than the cores, give the same bytes.
    @Test(arguments: [1, 5])
    func workers(count: Int) throws {
        let path = SharedData.path(Bzip2Tools.updates)
        let ours = try Bzip2Tools.readParallel(path, workers: count)
        #expect(ours.failure == nil)
        #expect(same(ours.bytes, try Bzip2Tools.run(["bzcat", path]).out))
    }
}

/// Opening inputs ahead (`InputPrefetcher`, as a replay of many files does): every file
/// read through it gives its own bytes, in the announced order or not, a file opened twice
/// gives its bytes twice, and a file that cannot be opened fails when its turn comes.
@Suite(.enabled(if: SharedData.available, "../shared/data is not beside the checkout"))
struct InputPrefetcherTests {
    @Test func opensAheadInOrderAndOutOfIt() throws {
        let files = [Bzip2Tools.updates, "mrt/ripe-bgpdump/test_data/updates.et-header.2015.gz",
                     "mrt/routeviews/routeviews.route-views.jinx.updates.1401493500.bz2", Bzip2Tools.updates]
            .map(SharedData.path)
        let missing = SharedData.path("mrt/no-such-file.bz2")
        let order = files + [missing]
        let expected = try files.map { try readAll($0) }
        // In order, two ahead.
        let prefetcher = InputPrefetcher(order: order, ahead: 2)
        for (i, path) in files.enumerated() {
            let bytes = try Bzip2Tools.drain(try prefetcher.open(path))
            #expect(same(bytes, expected[i]), "\(path)")
        }
        #expect(throws: ArchiveError.self) { _ = try prefetcher.open(missing) }
        // Out of order: the third first, then the others.
        let shuffled = InputPrefetcher(order: order)
        for i in [2, 0, 1, 3] {
            #expect(same(try Bzip2Tools.drain(try shuffled.open(files[i])), expected[i]), "\(files[i])")
        }
    }
}

/// Whether two byte strings are equal (an expectation on this prints their sizes, not their bytes).
func same(_ a: [UInt8], _ b: [UInt8]) -> Bool { a == b }

/// Helpers: the bzip2 command-line tools as the reference, temporary files.
enum Bzip2Tools {
    static let updates = "mrt/routeviews/route-views2.updates.20131201.0000.bz2"

    static var available: Bool {
        ["/usr/bin/bzip2", "/usr/bin/bzcat", "/usr/bin/bzip2recover"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Standard output of a command, and whether it failed.
    static func run(_ argv: [String], input: [UInt8]? = nil, directory: String? = nil) throws -> (out: [UInt8], failed: Bool, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = argv
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe()
        p.standardOutput = out
        // Standard error to a file and input from one: no second thread, no full pipe.
        let scratch = try TempDir()
        let errPath = scratch.write("stderr", [])
        p.standardError = FileHandle(forWritingAtPath: errPath)
        p.standardInput = input.map { FileHandle(forReadingAtPath: scratch.write("stdin", $0))! } ?? FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let err = (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data()
        return ([UInt8](data), p.terminationStatus != 0, String(decoding: err, as: UTF8.self))
    }

    struct Read {
        var bytes: [UInt8] = []
        var gaps: [ByteSourceGap] = []
        var failure: (any Error)?
    }

    /// Every byte of a file through `ParallelBzip2Source`, with the gaps it reported and
    /// the error it ended with.
    static func readParallel(_ path: String, workers: Int = 2, falseMagics: [Int] = [], libbz2: Bool = false) throws -> Read {
        let file = try FileSource(path: path)
        _ = try file.peek(4)  // as Input.open does
        let source = try #require(ParallelBzip2Source(input: file, workers: workers, falseMagics: falseMagics, useLibbz2: libbz2))
        return read(source)
    }

    /// Every byte of a source, the gaps it reported (`ByteSourceGap`) and the error it ended with.
    static func read(_ source: ByteSource) -> Read {
        var result = Read()
        var buffer = [UInt8](repeating: 0, count: 100_000)
        while true {
            do {
                let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
                if n == 0 { break }
                result.bytes += buffer[0..<n]
            } catch let gap as ByteSourceGap {
                result.gaps.append(gap)
            } catch {
                result.failure = error
                break
            }
        }
        return result
    }

    /// Every byte of a source.
    static func drain(_ source: ByteSource) throws -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    /// Every byte of a file through libbz2 in one thread (`Bzip2Source`), and the error it ended with.
    static func readSingle(_ path: String) throws -> Read {
        read(try Input.open(path, prefetch: false).source)
    }

    /// The real updates file recompressed with `bzip2 -1` (100 kB blocks, about 50 of
    /// them), and where its blocks lie (bit ranges, from bzip2recover).
    static func level1File(in dir: TempDir) throws -> (String, [(start: Int, end: Int)]) {
        let raw = try run(["bzcat", SharedData.path(updates)]).out
        let path = dir.write("level1.bz2", try run(["bzip2", "-c", "-1"], input: raw).out)
        let report = try run(["bzip2recover", path], directory: dir.path).err
        // "   block 1 runs from 80 to 396405"
        var blocks: [(start: Int, end: Int)] = []
        for line in report.split(separator: "\n") where line.contains("runs from") {
            let words = line.split(separator: " ")
            if let from = words.firstIndex(of: "from"), let start = Int(words[from + 1]), let end = Int(words[from + 3]) {
                blocks.append((start, end))
            }
        }
        #expect(blocks.count > 10)
        return (path, blocks)
    }

    /// The uncompressed size of each block of a file, from the one-block files bzip2recover
    /// writes beside it.
    static func blockSizes(_ path: String, in dir: TempDir) throws -> [Int] {
        let name = URL(fileURLWithPath: path).lastPathComponent
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
            .filter { $0.hasPrefix("rec") && $0.hasSuffix(name) }.sorted()
        return try files.map { try run(["bzcat", dir.path + "/" + $0]).out.count }
    }

    /// Each record of an uncompressed MRT file: its byte range and how many elements it holds.
    static func recordExtents(_ raw: [UInt8]) throws -> [(start: Int, end: Int, elements: Int)] {
        let reader = MRTReader(source: MemorySource(raw), name: "raw")
        let stream = ElementStream(reader: reader)
        var counts: [Int: Int] = [:]
        try stream.forEach { _ in counts[reader.stats.records - 1, default: 0] += 1 }
        let framing = MRTReader(source: MemorySource(raw), name: "raw")
        var out: [(start: Int, end: Int, elements: Int)] = []
        while let r = try framing.next() {
            let start = Int(r.offset)
            out.append((start, start + Int(r.header.length) + 12 + (r.header.type.hasExtendedTimestamp ? 4 : 0),
                        counts[r.index] ?? 0))
        }
        #expect(out.last?.end == raw.count)
        return out
    }
}

/// A temporary directory, removed when let go.
final class TempDir {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "blackout-bz2-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = path + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
}

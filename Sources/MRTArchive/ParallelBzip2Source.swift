#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MRT

/// Decompresses a bzip2 file on every core: its blocks are found by their magics
/// (`Bzip2MagicScanner`) and decoded independently by worker threads, and handed out in
/// file order.
///
/// One thread reads the file and cuts it into segments at the magics; `workers` threads
/// decode the blocks; the reader's thread takes them in order. The queue holds at most
/// `2 * workers + 1` segments, so memory does not grow with the file. A block that fails
/// to decode is first joined with the segment after it (a magic that occurs by chance
/// inside compressed data cuts a block in two); if that fails too, the block is damaged:
/// `read` throws `ByteSourceGap` and goes on with the next block. A file that ends inside
/// a stream throws `ArchiveError.truncated` after everything before it.
public final class ParallelBzip2Source: ByteSource {
    /// A stretch of the compressed file between two magics (or the file's ends).
    final class Segment {
        enum Kind {
            /// From the start of the file to the first magic: "BZh" and the level.
            case lead
            case block
            /// The end-of-stream magic, the combined CRC, padding, maybe the next stream's header.
            case end
            /// Bytes after a stretch too long to be a block.
            case garbage
        }
        let kind: Kind
        /// Bit positions in the file.
        let startBit: Int
        let endBit: Int
        /// The file's bytes `startBit / 8 ..< (endBit + 7) / 8`, then `Bzip2Decoder.padding` zeros.
        let bytes: [UInt8]
        var done: Bool
        var output: Bzip2Output?
        var outcome: Bzip2BlockDecoder.Outcome = .failed("not decoded")

        var byteCount: Int { ((endBit &+ 7) >> 3) &- (startBit >> 3) }

        init(kind: Kind, startBit: Int, endBit: Int, bytes: [UInt8]) {
            self.kind = kind
            self.startBit = startBit
            self.endBit = endBit
            self.bytes = bytes
            done = kind != .block
        }
    }

    final class Shared: @unchecked Sendable {
        // Everything guarded by `condition`.
        let condition = Condition()
        /// Segments not yet taken by the reader, in file order; `queue[0]` is segment `base`.
        var queue: [Segment] = []
        var base = 0
        /// Segments before this one are decoded, being decoded, or need no decoding.
        var claimed = 0
        var inputEnded = false
        var inputFailure: ArchiveError?
        var cancelled = false
        var spareOutputs: [Bzip2Output] = []
        /// The file's length in bits, once read to its end.
        var endBit = 0
        let limit: Int
        init(limit: Int) { self.limit = limit }
    }

    /// A segment longer than this cannot be one block (900 k symbols of at most 20 bits).
    static let maxSegmentBytes = 4 << 20

    public let path: String
    private let shared: Shared
    private var current: Bzip2Output?
    private var currentCount = 0
    private var position = 0
    private var finished = false
    /// The running combined CRC of the stream being read, and whether it is still checkable.
    private var combined: UInt32 = 0
    private var streamOpen = false
    private var streamDamaged = false
    private lazy var joinDecoder = Bzip2BlockDecoder(useLibbz2: useLibbz2)
    private let useLibbz2: Bool

    /// The number of cores this process may run on.
    public static var availableCores: Int {
        #if os(Linux)
        // sched_getaffinity(2) (glibc declares it only with _GNU_SOURCE, so it is looked up).
        typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_getaffinity") {
            var mask = [UInt64](repeating: 0, count: 16)  // 1024 CPUs, glibc's cpu_set_t
            let rc = mask.withUnsafeMutableBytes { unsafeBitCast(symbol, to: GetAffinity.self)(0, $0.count, $0.baseAddress!) }
            let n = mask.reduce(0) { $0 + $1.nonzeroBitCount }
            if rc == 0, n > 0 { return n }
        }
        #endif
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Starts reading `input` (positioned at its start) and decoding with `workers` threads.
    /// Returns nil when no thread could be started.
    public convenience init?(input: FileSource, workers: Int = ParallelBzip2Source.availableCores) {
        self.init(input: input, workers: workers, falseMagics: [], useLibbz2: false)
    }

    /// `falseMagics`: bit positions cut at as if a block magic were there (for tests of
    /// magics that occur by chance inside compressed data).
    /// `useLibbz2`: decode every block with libbz2 instead of `Bzip2Decoder`.
    init?(input: FileSource, workers: Int, falseMagics: [Int], useLibbz2: Bool) {
        path = input.path
        self.useLibbz2 = useLibbz2
        let workers = max(1, workers)
        let shared = Shared(limit: 2 * workers + 1)
        self.shared = shared
        var started = 0
        for _ in 0..<workers where startThread({ Self.work(shared, useLibbz2: useLibbz2) }) { started += 1 }
        let file = UncheckedBox(input)
        guard started > 0, startThread({ Self.produce(file.value, shared, falseMagics: falseMagics) }) else {
            shared.condition.lock()
            shared.cancelled = true
            shared.condition.broadcast()
            shared.condition.unlock()
            return nil
        }
    }

    deinit {
        shared.condition.lock()
        shared.cancelled = true
        shared.condition.broadcast()
        shared.condition.unlock()
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while position == currentCount {
            if finished { return 0 }
            try advance()
        }
        let n = min(buffer.count, currentCount &- position)
        base.copyMemory(from: current!.pointer + position, byteCount: n)
        position &+= n
        return n
    }

    // MARK: The reader's side

    /// Takes the next segment in file order, waiting for its decoding.
    private func take() -> Segment? {
        let s = shared
        s.condition.lock()
        defer { s.condition.unlock() }
        while true {
            if let first = s.queue.first {
                if first.done {
                    s.queue.removeFirst()
                    s.base &+= 1
                    s.condition.broadcast()
                    return first
                }
            } else if s.inputEnded {
                return nil
            }
            s.condition.wait()
        }
    }

    /// The next `n` segments after the one taken, without taking them (fewer at the end).
    private func peek(_ n: Int) -> [Segment] {
        let s = shared
        s.condition.lock()
        defer { s.condition.unlock() }
        while s.queue.count < n && !s.inputEnded { s.condition.wait() }
        return Array(s.queue.prefix(n))
    }

    private func drop(_ n: Int) {
        let s = shared
        s.condition.lock()
        s.queue.removeFirst(n)
        s.base &+= n
        s.condition.broadcast()
        s.condition.unlock()
    }

    private func use(_ output: Bzip2Output, count: Int) {
        let old = current
        current = output
        currentCount = count
        position = 0
        if let old {
            shared.condition.lock()
            if shared.spareOutputs.count < shared.limit { shared.spareOutputs.append(old) }
            shared.condition.unlock()
        }
    }

    private func truncated(at bit: Int) -> ArchiveError {
        finished = true
        return ArchiveError(path: path, reason: .truncated(format: "bzip2"), compressedOffset: UInt64(bit / 8))
    }

    /// Moves to the next block's output, or reports what is wrong with the next segment.
    private func advance() throws {
        guard let segment = take() else {
            finished = true
            shared.condition.lock()
            let failure = shared.inputFailure
            shared.condition.unlock()
            if let failure { throw failure }
            if streamOpen { throw truncated(at: shared.endBit) }
            return
        }
        switch segment.kind {
        case .lead:
            streamOpen = true
            let header = segment.bytes.prefix(min(4, segment.byteCount))
            guard segment.endBit == 32, header.count == 4, Compression.detect(Array(header)) == .bzip2 else {
                if peek(1).isEmpty { throw truncated(at: segment.endBit) }
                throw ByteSourceGap("bzip2: \(segment.byteCount) bytes at the start of the file are not a stream header and a block")
            }
        case .garbage:
            throw ByteSourceGap("bzip2: \(segment.byteCount) bytes at compressed offset \(segment.startBit / 8) are not a block")
        case .end:
            try endOfStream(segment)
        case .block:
            if case .decoded(let count, let crc) = segment.outcome {
                combined = Bzip2Layout.combine(combined, crc)
                use(segment.output!, count: count)
                segment.output = nil
                return
            }
            // A magic by chance inside the block cut it short: joined with what follows, it decodes.
            for extra in 1...2 {
                let following = peek(extra)
                guard following.count == extra else { break }
                var joined = Array(segment.bytes[..<segment.byteCount])
                for next in following {
                    joined.removeLast(joined.count - ((next.startBit >> 3) - (segment.startBit >> 3)))
                    joined.append(contentsOf: next.bytes)  // with its padding; the next one cuts it off
                }
                let output = Bzip2Output()
                let outcome = joined.withUnsafeBytes {
                    joinDecoder.decode($0, startBit: segment.startBit & 7,
                                       endBit: following.last!.endBit - (segment.startBit & ~7), into: output)
                }
                if case .decoded(let count, let crc) = outcome {
                    drop(extra)
                    combined = Bzip2Layout.combine(combined, crc)
                    use(output, count: count)
                    return
                }
            }
            if peek(1).isEmpty { throw truncated(at: segment.endBit) }
            guard case .failed(let why) = segment.outcome else { return }
            streamDamaged = true
            throw ByteSourceGap("bzip2 block at compressed offset \(segment.startBit / 8) is damaged (\(why)); its data is lost")
        }
    }

    /// Checks a stream's end: the combined CRC, then the next stream's header or the end of the file.
    private func endOfStream(_ segment: Segment) throws {
        guard segment.endBit - segment.startBit >= 80 else { throw truncated(at: segment.endBit) }
        let stored = segment.bytes.withUnsafeBytes { UInt32(Bzip2Layout.bits($0, at: (segment.startBit & 7) + 48, count: 32)) }
        let damaged = streamDamaged
        let ok = stored == combined
        combined = 0
        streamDamaged = false
        streamOpen = false
        // Padding to a byte, then "BZh" and a level if another stream follows.
        let afterPadding = ((segment.startBit + 80 + 7) >> 3) - (segment.startBit >> 3)
        let rest = Array(segment.bytes[min(afterPadding, segment.byteCount)..<segment.byteCount])
        let last = peek(1).isEmpty
        if rest.count == 4, !last, Compression.detect(rest) == .bzip2 {
            streamOpen = true
        } else if last {
            // Trailing bytes after the last stream are ignored, as bzip2 does; the start of a
            // stream cut before its first block is not.
            if rest.count >= 4, Compression.detect(Array(rest.prefix(4))) == .bzip2 { throw truncated(at: segment.endBit) }
        } else {
            streamOpen = true
            throw ByteSourceGap("bzip2: \(rest.count) bytes at compressed offset \(segment.startBit / 8 + afterPadding) between streams are not a stream header")
        }
        if !ok && !damaged {
            throw ByteSourceGap("bzip2 stream ending at compressed offset \(segment.startBit / 8): combined CRC \(stored) does not match its blocks' (\(combined))")
        }
    }

    // MARK: The threads

    /// Reads the file, cuts it at the magics, and queues the segments.
    private static func produce(_ file: FileSource, _ s: Shared, falseMagics: [Int]) {
        var falseMagics = falseMagics.sorted()[...]
        var window: [UInt8] = []
        var windowBase = 0  // file offset of window[0]
        var scanned = 0  // file offset of the next byte to scan from
        var segmentStart = 0  // bit
        var segmentKind = Segment.Kind.lead
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var eof = false

        func emit(until endBit: Int, next: Segment.Kind) -> Bool {
            let from = (segmentStart >> 3) &- windowBase
            let to = ((endBit &+ 7) >> 3) &- windowBase
            var bytes = [UInt8]()
            bytes.reserveCapacity(to &- from &+ Bzip2Decoder.padding)
            bytes.append(contentsOf: window[from..<to])
            bytes.append(contentsOf: repeatElement(0, count: Bzip2Decoder.padding))
            let segment = Segment(kind: segmentKind, startBit: segmentStart, endBit: endBit, bytes: bytes)
            segmentStart = endBit
            segmentKind = next
            s.condition.lock()
            defer { s.condition.unlock() }
            while s.queue.count >= s.limit && !s.cancelled { s.condition.wait() }
            if s.cancelled { return false }
            s.queue.append(segment)
            s.condition.broadcast()
            return true
        }

        while true {
            var n = 0
            do {
                n = try chunk.withUnsafeMutableBytes { try file.read(into: $0) }
            } catch {
                s.condition.lock()
                s.inputFailure = error as? ArchiveError
                    ?? ArchiveError(path: file.path, reason: .readFailed(errno: EIO))
                s.condition.unlock()
                n = 0
            }
            if n == 0 { eof = true } else { window.append(contentsOf: chunk[0..<n]) }
            // A magic is found once its 48 bits are in the window (6 bytes from its first whole byte).
            let through = eof ? windowBase &+ window.count : windowBase &+ window.count &- 6
            var found: [(Int, Bzip2MagicScanner.Kind)] = []
            if through > scanned {
                scanned = window.withUnsafeBytes { bytes in
                    Bzip2MagicScanner.scan(bytes, from: scanned &- windowBase, through: through &- windowBase) { p, kind in
                        found.append((p &+ windowBase &* 8, kind))
                    }
                } &+ windowBase
            }
            while let p = falseMagics.first, p < (scanned &- 4) &* 8 || (eof && p < through &* 8) {
                found.append((p, .block))
                falseMagics = falseMagics.dropFirst()
            }
            found.sort { $0.0 < $1.0 }
            for (p, kind) in found where p >= segmentStart {
                if !emit(until: p, next: kind == .block ? .block : .end) { return }
            }
            if eof {
                if !emit(until: (windowBase &+ window.count) &* 8, next: .garbage) { return }
                s.condition.lock()
                s.inputEnded = true
                s.endBit = (windowBase &+ window.count) &* 8
                s.condition.broadcast()
                s.condition.unlock()
                return
            }
            if (scanned &- (segmentStart >> 3)) > maxSegmentBytes {
                // Magics found later start after (scanned - 4) * 8.
                if !emit(until: (scanned &- 4) &* 8, next: .garbage) { return }
            }
            // Keep the current segment and the 4 bytes before the next scan position.
            let keep = min(segmentStart >> 3, scanned &- 4) &- windowBase
            if keep > 0 && keep >= window.count / 2 {
                window.removeFirst(keep)
                windowBase &+= keep
            }
        }
    }

    /// Decodes blocks, earliest first, until the input ends or the source is dropped.
    private static func work(_ s: Shared, useLibbz2: Bool) {
        let decoder = Bzip2BlockDecoder(useLibbz2: useLibbz2)
        s.condition.lock()
        while true {
            if s.cancelled { break }
            s.claimed = max(s.claimed, s.base)
            while s.claimed &- s.base < s.queue.count, s.queue[s.claimed &- s.base].kind != .block { s.claimed &+= 1 }
            if s.claimed &- s.base < s.queue.count {
                let segment = s.queue[s.claimed &- s.base]
                s.claimed &+= 1
                let output = s.spareOutputs.popLast() ?? Bzip2Output()
                s.condition.unlock()
                let outcome = segment.bytes.withUnsafeBytes {
                    decoder.decode($0, startBit: segment.startBit & 7, endBit: segment.endBit &- (segment.startBit & ~7), into: output)
                }
                s.condition.lock()
                segment.output = output
                segment.outcome = outcome
                segment.done = true
                s.condition.broadcast()
                continue
            }
            if s.inputEnded { break }
            s.condition.wait()
        }
        s.condition.unlock()
    }
}

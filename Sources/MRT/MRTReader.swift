/// Frames MRT records (RFC 6396 section 2) out of a byte stream.
///
/// Framing is kept apart from decoding, as in bgpkit-parser: a body that fails to decode
/// is the decoder's problem and never loses the records after it. Framing itself checks
/// every header before trusting its length (a registered type and subtype, a length under
/// `maxRecordLength`, a timestamp near the previous record's) and checks that the next
/// header, where this record's length says it starts, is plausible too. When it is not,
/// the reader searches forward for the first position where two consecutive plausible
/// headers chain, and then either
///  - skips the bytes before it, when it lies inside the suspect record (a torn record), or
///  - for TABLE_DUMP only, reads the suspect record up to it, when it lies at most
///    `maxLengthCorrection` bytes after (the 1999-2000 RIS dumps declare lengths 4 bytes short).
/// Every such event is reported as an `MRTDiagnostic`; in strict mode the first loss of
/// data throws instead.
///
/// Memory is one buffer that grows only to the largest record (plus lookahead), never
/// with the file.
public final class MRTReader {
    public struct Options: Sendable {
        /// Records longer than this are taken as damaged framing. The largest real records
        /// (a RIB entry for a prefix seen by a thousand peers) are a few hundred kilobytes.
        public var maxRecordLength = 16 << 20
        /// How far past its declared end a record may be extended to meet the next header.
        public var maxLengthCorrection = 8
        /// Throw at the first damage instead of skipping and counting it.
        public var strict = false
        /// How far consecutive records' timestamps may be apart and still look like framing.
        public var maxTimestampJump: UInt32 = 366 * 86_400

        public init(strict: Bool = false) { self.strict = strict }
    }

    public struct Stats: Sendable {
        public var records = 0
        public var skippedBytes: UInt64 = 0
        public var correctedLengths = 0
        public var truncatedRecords = 0
        public var sourceFailures = 0
        /// Uncompressed bytes framed into records or skipped.
        public var bytesRead: UInt64 = 0

        public init() {}
    }

    /// A framed record. `body` is valid until the next call to `next()`.
    public struct RawRecord {
        public var header: MRTHeader
        public var body: UnsafeRawBufferPointer
        public var index: Int
        public var offset: UInt64
    }

    public let name: String
    public let options: Options
    public private(set) var stats = Stats()
    /// Receives every diagnostic as it happens (the reader also counts them in `stats`).
    public var onDiagnostic: ((MRTDiagnostic) -> Void)?

    private let source: ByteSource
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var baseOffset: UInt64 = 0
    private var eof = false
    private var sourceError: (any Error)?
    private var lastTimestamp: UInt32?
    private var finished = false
    /// How many bytes short the last corrected record was.
    private var lastCorrection: Int?
    /// Where the source lost bytes (`ByteSourceGap`), as stream offsets, and why; reported
    /// when framing reaches them.
    private var gaps: [(offset: UInt64, reason: String)] = []

    public init(source: ByteSource, name: String, options: Options = Options()) {
        self.source = source
        self.name = name
        self.options = options
        self.capacity = 1 << 20
        self.buffer = .allocate(byteCount: capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    private var available: Int { end &- start }
    private func streamOffset(_ rel: Int) -> UInt64 { baseOffset &+ UInt64(start &+ rel) }

    /// Makes at least `n` bytes available from `start`, unless the stream ends first.
    private func fill(_ n: Int) {
        if available >= n || eof { return }
        if capacity &- start < n {
            if start > 0 {
                (buffer).copyMemory(from: buffer + start, byteCount: available)
                baseOffset &+= UInt64(start)
                end &-= start
                start = 0
            }
            if capacity < n {
                var newCapacity = capacity &* 2
                while newCapacity < n { newCapacity &*= 2 }
                let fresh = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
                fresh.copyMemory(from: buffer, byteCount: end)
                buffer.deallocate()
                buffer = fresh
                capacity = newCapacity
            }
        }
        while available < n, !eof {
            do {
                let got = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity &- end))
                if got == 0 { eof = true } else { end &+= got }
            } catch let gap as ByteSourceGap {
                gaps.append((baseOffset &+ UInt64(end), gap.reason))
            } catch {
                sourceError = error
                eof = true
            }
        }
    }

    private func u16(_ rel: Int) -> UInt16 {
        UInt16(bigEndian: UnsafeRawPointer(buffer + (start &+ rel)).loadUnaligned(as: UInt16.self))
    }

    private func u32(_ rel: Int) -> UInt32 {
        UInt32(bigEndian: UnsafeRawPointer(buffer + (start &+ rel)).loadUnaligned(as: UInt32.self))
    }

    /// Header fields at `rel`; the caller made 12 bytes available there. Returns the
    /// timestamp, type, subtype and the length field as written (for _ET types it includes
    /// the 4-octet microsecond field).
    private func rawHeader(_ rel: Int) -> (ts: UInt32, type: UInt16, subtype: UInt16, length: Int) {
        (u32(rel), u16(rel &+ 4), u16(rel &+ 6), Int(u32(rel &+ 8)))
    }

    private func plausible(_ h: (ts: UInt32, type: UInt16, subtype: UInt16, length: Int), near ref: UInt32?) -> Bool {
        switch h.type {
        case 5: if h.subtype > 7 { return false }
        case 12: if h.subtype < 1 || h.subtype > 4 { return false }
        case 13: if h.subtype < 1 || h.subtype > 12 { return false }
        case 16, 17: if h.subtype > 11 { return false }
        case 11, 32, 33, 48, 49: break
        default: return false
        }
        if h.length > options.maxRecordLength { return false }
        if MRTType(rawValue: h.type).hasExtendedTimestamp, h.length < 4 { return false }
        if let ref {
            let d = h.ts > ref ? h.ts &- ref : ref &- h.ts
            if d > options.maxTimestampJump { return false }
        }
        return true
    }

    /// Whether a record starts at `rel` and the next one starts where its length says (or,
    /// for TABLE_DUMP, up to `maxLengthCorrection` bytes later), or the stream ends there.
    private func chainStarts(at rel: Int) -> Bool {
        fill(rel &+ 12)
        guard available >= rel &+ 12 else { return false }
        let h1 = rawHeader(rel)
        guard plausible(h1, near: lastTimestamp) else { return false }
        let next = rel &+ 12 &+ h1.length
        let slack = h1.type == MRTType.tableDump.rawValue ? options.maxLengthCorrection : 0
        fill(next &+ 12 &+ slack)
        for k in 0...slack {
            if available == next &+ k, eof { return true }
            if available >= next &+ k &+ 12 {
                let h2 = rawHeader(next &+ k)
                if plausible(h2, near: h1.ts), plausible(h2, near: lastTimestamp) { return true }
            }
        }
        return false
    }

    /// The first position in `from...through` where a chain of records starts.
    private func findChain(from: Int, through: Int) -> Int? {
        var rel = from
        while rel <= through {
            fill(rel &+ 12)
            if available < rel &+ 12 { return nil }
            if chainStarts(at: rel) { return rel }
            rel &+= 1
        }
        return nil
    }

    private func report(_ problem: MRTDiagnostic.Problem, rel: Int) throws(MRTReadError) {
        let d = MRTDiagnostic(file: name, recordIndex: stats.records, offset: streamOffset(rel), problem: problem)
        switch problem {
        case .skippedBytes(let n): stats.skippedBytes &+= UInt64(n)
        case .correctedLength: stats.correctedLengths &+= 1
        case .truncatedRecord: stats.truncatedRecords &+= 1
        case .sourceFailed: stats.sourceFailures &+= 1
        case .damagedRecord, .partialRecord: break
        }
        onDiagnostic?(d)
        if options.strict, d.isDamage { throw MRTReadError(d) }
    }

    private func reportGap(_ g: (offset: UInt64, reason: String)) throws(MRTReadError) {
        let d = MRTDiagnostic(file: name, recordIndex: stats.records, offset: g.offset, problem: .sourceFailed(g.reason))
        stats.sourceFailures &+= 1
        onDiagnostic?(d)
        if options.strict { throw MRTReadError(d) }
    }

    /// Skips from `start` to the next chain of records (or to the end), reporting the gap.
    private func resynchronise() throws(MRTReadError) {
        var skipped = 0
        let origin = streamOffset(0)
        var rel = 1
        while true {
            fill(rel &+ 12)
            if available < rel &+ 12 {
                skipped &+= available
                stats.bytesRead &+= UInt64(available)
                start = end
                break
            }
            if chainStarts(at: rel) {
                skipped &+= rel
                stats.bytesRead &+= UInt64(rel)
                start &+= rel
                break
            }
            rel &+= 1
            if rel > 1 << 16 {  // keep the buffer small while scanning a long stretch of garbage
                skipped &+= rel &- 1
                stats.bytesRead &+= UInt64(rel &- 1)
                start &+= rel &- 1
                rel = 1
            }
        }
        let d = MRTDiagnostic(file: name, recordIndex: stats.records, offset: origin, problem: .skippedBytes(count: skipped))
        stats.skippedBytes &+= UInt64(skipped)
        onDiagnostic?(d)
        if options.strict { throw MRTReadError(d) }
    }

    private func finish() throws(MRTReadError) {
        guard !finished else { return }
        finished = true
        while let g = gaps.first {
            gaps.removeFirst()
            try reportGap(g)
        }
        if let e = sourceError {
            try report(.sourceFailed(String(describing: e)), rel: available)
        }
    }

    /// The next record, or nil at the end of the stream.
    public func next() throws(MRTReadError) -> RawRecord? {
        while true {
            fill(12)
            if available == 0 {
                try finish()
                return nil
            }
            if available < 12 {
                let n = available
                stats.bytesRead &+= UInt64(n)
                try report(.truncatedRecord(needed: 12, available: n), rel: 0)
                start = end
                try finish()
                return nil
            }
            let h = rawHeader(0)
            if let g = gaps.first {
                // Bytes were lost at the gap: a record that reaches past it is cut, so the bytes
                // before it are skipped and framing resumes after it.
                let rel = Int(truncatingIfNeeded: g.offset &- streamOffset(0))
                let reach = plausible(h, near: lastTimestamp) ? 12 &+ h.length : 12
                if rel < reach {
                    gaps.removeFirst()
                    if rel > 0 {
                        stats.bytesRead &+= UInt64(rel)
                        try report(.skippedBytes(count: rel), rel: 0)
                        start &+= rel
                    }
                    try reportGap(g)
                    continue
                }
            }
            guard plausible(h, near: lastTimestamp) else {
                try resynchronise()
                continue
            }
            var total = 12 &+ h.length
            fill(total &+ 12)
            if let g = gaps.first, Int(truncatingIfNeeded: g.offset &- streamOffset(0)) < total { continue }  // cut: see above
            if available < total {
                let n = available
                stats.bytesRead &+= UInt64(n)
                try report(.truncatedRecord(needed: total, available: n), rel: 0)
                start = end
                try finish()
                return nil
            }
            if eof, available > total, let k = lastCorrection, available &- total == k {
                // A few bytes after the last record, as many as earlier records were short:
                // its length was short like theirs.
                try report(.correctedLength(declared: h.length, actual: available &- 12), rel: 0)
                total = available
            } else if available >= total &+ 12, !plausible(rawHeader(total), near: h.ts) {
                // The next header is not where this record's length says: find where it is.
                // A slightly short TABLE_DUMP length (the 1999-2000 RIS producer bug) first,
                // then a torn record. Other types are never stretched: bytes between records
                // are skipped and reported as damage.
                let stretched = h.type == MRTType.tableDump.rawValue
                    ? findChain(from: total &+ 1, through: total &+ options.maxLengthCorrection) : nil
                if let q = stretched ?? findChain(from: 1, through: total &- 1) {
                    if q < total {
                        stats.bytesRead &+= UInt64(q)
                        try report(.skippedBytes(count: q), rel: 0)
                        start &+= q
                        continue
                    }
                    try report(.correctedLength(declared: h.length, actual: q &- 12), rel: 0)
                    lastCorrection = q &- total
                    total = q
                }
                // Otherwise read this record as declared; the bad header after it is skipped next.
            }
            let type = MRTType(rawValue: h.type)
            var header = MRTHeader(timestamp: h.ts, type: type, subtype: h.subtype, length: UInt32(total &- 12))
            var bodyStart = 12
            if type.hasExtendedTimestamp {
                header.microseconds = u32(12)
                header.length &-= 4
                bodyStart = 16
            }
            let record = RawRecord(
                header: header,
                body: UnsafeRawBufferPointer(start: buffer + (start &+ bodyStart), count: total &- bodyStart),
                index: stats.records, offset: streamOffset(0))
            stats.records &+= 1
            stats.bytesRead &+= UInt64(total)
            lastTimestamp = h.ts
            start &+= total
            return record
        }
    }
}

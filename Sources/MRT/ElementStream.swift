/// Reads one MRT stream to route elements: framing (`MRTReader`), body decoding
/// (`ElementDecoder`), and the policy for damaged records (count, report, skip; or, in
/// strict mode, stop).
public final class ElementStream {
    public struct Stats: Sendable {
        /// Records framed, keyed by `type << 16 | subtype`.
        public var recordsByType: [UInt32: Int] = [:]
        /// Elements produced (before filtering), by kind: A, W, R, S.
        public var elementsByKind: [Int] = [0, 0, 0, 0]
        /// Records whose body could not be decoded (skipped).
        public var damagedRecords = 0
        /// Records decoded in part (a truncated last prefix dropped).
        public var partialRecords = 0
        /// Records framed but not decoded (other protocols, GEO_PEER_TABLE, unknown subtypes).
        public var unsupportedRecords = 0

        public init() {}

        public var elements: Int { elementsByKind.reduce(0, +) }
    }

    public let reader: MRTReader
    public private(set) var stats = Stats()
    private var decoder = ElementDecoder()
    private var batch: [RouteElement] = []
    /// Attribute blocks found again in the attribute cache, and decoded.
    public var attributeCacheStats: (hits: Int, misses: Int) { decoder.attributeCacheStats }
    /// Receives diagnostics for damaged records (framing diagnostics go to the reader's handler).
    public var onDiagnostic: ((MRTDiagnostic) -> Void)?

    public init(reader: MRTReader) {
        self.reader = reader
        batch.reserveCapacity(1024)
    }

    private func reportPartial(_ raw: MRTReader.RawRecord) throws {
        stats.partialRecords += 1
        let d = MRTDiagnostic(file: reader.name, recordIndex: raw.index, offset: raw.offset,
                              problem: .partialRecord("NLRI ends inside its last prefix, which was dropped"))
        onDiagnostic?(d)
        if reader.options.strict { throw MRTReadError(d) }
    }

    /// Calls `body` with every element, in file order.
    public func forEach(_ body: (RouteElement) throws -> Void) throws {
        while let raw = try reader.next() {
            try decode(raw)
            try batch.withUnsafeBufferPointer { elements in
                for i in elements.indices {
                    stats.elementsByKind[Int(elements[i].kind.rawValue)] &+= 1
                    try body(elements[i])
                }
            }
        }
        flushRecordCounts()
    }

    /// The elements of the next record that has any (pull-style, for merging several
    /// streams in time order); nil at the end of the stream. Let go of the array before
    /// the next call and its storage is reused, not copied.
    public func nextRecord() throws -> [RouteElement]? {
        while let raw = try reader.next() {
            try decode(raw)
            guard !batch.isEmpty else { continue }
            batch.withUnsafeBufferPointer { elements in
                for i in elements.indices { stats.elementsByKind[Int(elements[i].kind.rawValue)] &+= 1 }
            }
            return batch
        }
        flushRecordCounts()
        return nil
    }

    /// Decodes one record into `batch` (left empty when the record is damaged and skipped).
    @inline(__always)
    private func decode(_ raw: MRTReader.RawRecord) throws {
        countRecord(raw.header)
        batch.removeAll(keepingCapacity: true)
        let outcome: ElementDecoder.Outcome
        do {
            outcome = try decoder.decode(header: raw.header, body: raw.body, into: &batch)
        } catch {
            batch.removeAll(keepingCapacity: true)
            stats.damagedRecords += 1
            let d = MRTDiagnostic(file: reader.name, recordIndex: raw.index, offset: raw.offset,
                                  problem: .damagedRecord(error))
            onDiagnostic?(d)
            if reader.options.strict { throw MRTReadError(d) }
            return
        }
        switch outcome {
        case .decoded: break
        case .unsupported: stats.unsupportedRecords += 1
        case .partial: try reportPartial(raw)
        }
    }

    // Record counts by type: a small direct-mapped table for the common kinds, folded
    // into the dictionary at the end.
    private var commonCounts = [Int](repeating: 0, count: 64)

    @inline(__always)
    private func countRecord(_ h: MRTHeader) {
        let slot: Int
        switch h.type.rawValue {
        case 13: slot = Int(h.subtype & 0x0F)
        case 16: slot = 16 + Int(h.subtype & 0x0F)
        case 17: slot = 32 + Int(h.subtype & 0x0F)
        default: slot = -1
        }
        if slot >= 0, h.subtype < 16 {
            commonCounts[slot] &+= 1
        } else {
            stats.recordsByType[UInt32(h.type.rawValue) << 16 | UInt32(h.subtype), default: 0] += 1
        }
    }

    private func flushRecordCounts() {
        for (slot, n) in commonCounts.enumerated() where n > 0 {
            let type: UInt32 = slot < 16 ? 13 : slot < 32 ? 16 : 17
            stats.recordsByType[type << 16 | UInt32(slot & 0x0F), default: 0] += n
        }
        commonCounts = [Int](repeating: 0, count: 64)
    }
}

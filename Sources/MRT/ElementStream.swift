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
            let key = UInt32(raw.header.type.rawValue) << 16 | UInt32(raw.header.subtype)
            stats.recordsByType[key, default: 0] += 1
            batch.removeAll(keepingCapacity: true)
            let message: MRTMessage
            do {
                message = try MRTRecord.decode(header: raw.header, body: raw.body, peerTable: decoder.peerTable)
            } catch {
                stats.damagedRecords += 1
                let d = MRTDiagnostic(file: reader.name, recordIndex: raw.index, offset: raw.offset,
                                      problem: .damagedRecord(error))
                onDiagnostic?(d)
                if reader.options.strict { throw MRTReadError(d) }
                continue
            }
            switch message {
            case .unsupported:
                stats.unsupportedRecords += 1
            case .bgp4mpMessage(let m):
                if case .update(let u) = m.message, u.nlriTruncated { try reportPartial(raw) }
            case .legacyMessage(let m):
                if case .update(let u) = m.message, u.nlriTruncated { try reportPartial(raw) }
            default:
                break
            }
            decoder.appendElements(of: MRTRecord(header: raw.header, message: message), into: &batch)
            for e in batch {
                stats.elementsByKind[Int(e.kind.rawValue)] += 1
                try body(e)
            }
        }
    }
}

/// Something wrong in an archive, located precisely: which file, which record, which byte.
public struct MRTDiagnostic: Sendable, CustomStringConvertible {
    public enum Problem: Sendable {
        /// A record whose body could not be decoded; it was skipped.
        case damagedRecord(MRTDecodeError)
        /// Bytes that belong to no record (framing was lost and found again after them).
        case skippedBytes(count: Int)
        /// A record whose declared length was `declared` but whose next record starts
        /// `actual` bytes after its header; read with the corrected length.
        case correctedLength(declared: Int, actual: Int)
        /// The stream ended inside a record.
        case truncatedRecord(needed: Int, available: Int)
        /// A record decoded in part: what was lost is said.
        case partialRecord(String)
        /// The byte source failed (I/O error, corrupt or truncated compressed stream).
        case sourceFailed(String)
    }

    public var file: String
    /// Zero-based index of the record (counting records framed so far).
    public var recordIndex: Int
    /// Offset of the record (or of the skipped bytes) in the uncompressed stream.
    public var offset: UInt64
    public var problem: Problem

    public init(file: String, recordIndex: Int, offset: UInt64, problem: Problem) {
        self.file = file
        self.recordIndex = recordIndex
        self.offset = offset
        self.problem = problem
    }

    /// Whether data was lost (as opposed to a quirk read correctly).
    public var isDamage: Bool {
        if case .correctedLength = problem { return false }
        return true
    }

    public var description: String {
        let place = "\(file): record \(recordIndex) at offset \(offset)"
        switch problem {
        case .damagedRecord(let e): return "\(place): damaged record skipped: \(e)"
        case .skippedBytes(let n): return "\(place): \(n) bytes outside any record skipped (framing resynchronised)"
        case let .correctedLength(declared, actual):
            return "\(place): record length \(declared) is \(actual - declared) bytes short; read as \(actual)"
        case let .truncatedRecord(needed, available):
            return "\(place): stream ends inside a record (needs \(needed) bytes, \(available) left)"
        case .sourceFailed(let why): return "\(place): input failed: \(why)"
        case .partialRecord(let what): return "\(place): record partly damaged: \(what)"
        }
    }
}

/// Thrown in strict mode at the first damage, and for input that cannot be read at all.
public struct MRTReadError: Error, Sendable, CustomStringConvertible {
    public var diagnostic: MRTDiagnostic
    public init(_ diagnostic: MRTDiagnostic) { self.diagnostic = diagnostic }
    public var description: String { diagnostic.description }
}

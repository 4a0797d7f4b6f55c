/// How every store keeps a checkpoint: its routing tables (part 1) in the pieces the
/// writer emits, and its bytes (part 0) cut in pieces of `pieceBytes`, each piece a row, so
/// that neither is ever whole in one value (SQLite copies a value twice while inserting it).
extension Checkpoint {
    /// The size of the pieces a checkpoint's bytes are cut in.
    public static let pieceBytes = 1 << 20

    /// Calls `store` with every non-empty piece and its number within its part: the routing
    /// tables first, as the writer emits them, then the bytes.
    public func storePieces(_ store: (_ part: Int, _ n: Int, _ piece: UnsafeRawBufferPointer) throws -> Void) throws {
        var n = [0, 0]
        func piece(_ part: Int, _ raw: UnsafeRawBufferPointer) throws {
            guard raw.count > 0 else { return }
            try store(part, n[part], raw)
            n[part] += 1
        }
        let bytes = try writer.map { try $0.write { try piece(1, $0) } } ?? self.bytes
        try bytes.withUnsafeBytes { raw in
            var at = 0
            while at < raw.count {
                let end = min(raw.count, at + Self.pieceBytes)
                try piece(0, UnsafeRawBufferPointer(rebasing: raw[at..<end]))
                at = end
            }
        }
    }

    /// The routing tables' pieces for a restore, read one at a time as it asks for them:
    /// `read(n)` gives piece n of part 1, or nil after the last.
    public static func tablePieces(_ read: @escaping @Sendable (Int) throws -> [UInt8]?) -> @Sendable () throws -> [UInt8]? {
        let next = PieceNumber()
        return { try read(next.take()) }
    }
}

/// The next piece to read (a restore reads them in order, on one thread).
private final class PieceNumber: @unchecked Sendable {
    private var n = 0
    func take() -> Int { defer { n += 1 }; return n }
}

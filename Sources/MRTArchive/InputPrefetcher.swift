import MRT

/// Opens inputs that will be read one after another, each before it is needed: when one
/// is opened, the next `ahead` are opened too, so their decompression starts on idle
/// cores while the current one is read. bzip2 files are decoded block by block on every
/// core (`ParallelBzip2Source`); gzip, which cannot be split, one file ahead on a thread
/// of its own, up to `gzipAhead` bytes. Memory stays bounded by the sources' queues.
public final class InputPrefetcher {
    private let order: [String]
    private let ahead: Int
    private let gzipAhead: Int
    /// Inputs opened early, by their index in `order`, not yet handed out.
    private var opened: [Int: Result<ByteSource, ArchiveError>] = [:]
    /// Indexes of `order` handed out, or opened early, so far.
    private var used = Set<Int>()

    /// `order`: the paths in the order they will be opened (a path may appear more than once).
    public init(order: [String], ahead: Int = 1, gzipAhead: Int = 32 << 20) {
        self.order = order
        self.ahead = ahead
        self.gzipAhead = gzipAhead
    }

    /// Opens `path` (or hands out what was opened early), then opens the next inputs in order.
    public func open(_ path: String) throws(ArchiveError) -> ByteSource {
        let index = order.indices.first { order[$0] == path && (!used.contains($0) || opened[$0] != nil) }
        let result: Result<ByteSource, ArchiveError>
        if let index, let early = opened.removeValue(forKey: index) {
            result = early
        } else {
            if let index { used.insert(index) }
            result = Result { () throws(ArchiveError) in try Self.open(path, gzipAhead: gzipAhead) }
        }
        if let index {
            for next in (index + 1)..<min(order.count, index + 1 + ahead) where !used.contains(next) {
                used.insert(next)
                opened[next] = Result { () throws(ArchiveError) in try Self.open(order[next], gzipAhead: gzipAhead) }
            }
        }
        return try result.get()
    }

    private static func open(_ path: String, gzipAhead: Int) throws(ArchiveError) -> ByteSource {
        try Input.open(path, prefetch: true, prefetchBytes: gzipAhead).source
    }
}

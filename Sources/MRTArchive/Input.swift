import MRT

/// How an input is compressed, recognised by its first bytes (never by its name).
public enum Compression: String, Sendable {
    case none, gzip, bzip2

    /// gzip: 1f 8b (RFC 1952 section 2.3.1); bzip2: "BZh" and a block size digit.
    public static func detect(_ magic: [UInt8]) -> Compression {
        if magic.count >= 2, magic[0] == 0x1F, magic[1] == 0x8B { return .gzip }
        if magic.count >= 4, magic[0] == 0x42, magic[1] == 0x5A, magic[2] == 0x68,
           (0x31...0x39).contains(magic[3]) { return .bzip2 }
        return .none
    }
}

/// Opening MRT inputs: a path or `-` for standard input, decompressed as needed.
public enum Input {
    /// Opens `path` and returns a source of its uncompressed bytes.
    ///
    /// With `prefetch`, decompression runs on other threads ahead of the reader, so that
    /// decoding a compressed archive takes about as long as decompressing it: bzip2 blocks
    /// are decoded on every core (`ParallelBzip2Source`), gzip on one other thread.
    /// Without it, nothing runs outside the caller's thread.
    public static func open(_ path: String, prefetch: Bool = true) throws(ArchiveError) -> (source: ByteSource, compression: Compression) {
        try open(path, prefetch: prefetch, prefetchBytes: 4 << 20)
    }

    /// `prefetchBytes`: how far ahead of the reader a gzip file (or a bzip2 file on one
    /// core) is decompressed.
    static func open(_ path: String, prefetch: Bool, prefetchBytes: Int) throws(ArchiveError) -> (source: ByteSource, compression: Compression) {
        let file = try FileSource(path: path)
        let compression = Compression.detect(try file.peek(4))
        if prefetch, compression == .bzip2, ParallelBzip2Source.availableCores > 1,
           let parallel = ParallelBzip2Source(input: file) {
            return (parallel, compression)
        }
        let inner: ByteSource
        switch compression {
        case .gzip: inner = try GzipSource(input: file)
        case .bzip2: inner = try Bzip2Source(input: file)
        case .none: inner = file
        }
        if prefetch, compression != .none {
            return (PrefetchSource(inner, depth: max(1, prefetchBytes >> 18)), compression)
        }
        return (inner, compression)
    }
}

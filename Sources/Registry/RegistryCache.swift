#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MRT

/// The compiled registry: the three range tables and the AS names in one binary file,
/// so that the next run reads arrays instead of parsing text.
///
/// Layout: "BLKREG2\n", the 8-byte key, then for each table a count and its firsts,
/// lasts and values; then the AS names as count, (asn, length, bytes)*; then the source
/// files as count, (length, bytes)*; last, a 64-bit checksum of every byte before it.
/// Integers are little-endian and arrays in the machine's order, as the machines that
/// write and read the cache are.
///
/// The file is read as untrusted input: one that is truncated, overwritten or has bytes
/// changed fails to load with a reason (never a trap or a wrong table), and the loader
/// builds the registry again from its files and replaces the cache.
enum RegistryCache {
    static let magic = Array("BLKREG2\n".utf8)
    /// Larger than any registry cache (the 2024 registries with DB-IP compile to ~20 MB):
    /// a bigger file is not read into memory.
    static let maximumSize = 1 << 30

    /// What reading a cache gave.
    enum Outcome {
        case loaded(RegistryDatabase)
        /// No cache file: the first run for these inputs.
        case missing
        /// A file that is not a whole cache for these inputs, and why.
        case damaged(String)
    }

    struct Damaged: Error {
        var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    // MARK: Writing

    static func write(_ db: RegistryDatabase, to path: String, key: UInt64) throws {
        let sink = ByteSink(capacity: 1 << 22)
        sink.append(contentsOf: magic)
        append(key, sink)
        for t in [db.ipv4, db.ipv6, db.asnCountries] {
            append(UInt64(t.count), sink)
            t.firsts.withUnsafeBytes { sink.append($0) }
            t.lasts.withUnsafeBytes { sink.append($0) }
            t.values.withUnsafeBytes { sink.append($0) }
        }
        append(UInt64(db.asNames.count), sink)
        for (asn, name) in db.asNames.sorted(by: { $0.key < $1.key }) {
            append(UInt64(asn), sink)
            let bytes = Array(name.utf8)
            append(UInt64(bytes.count), sink)
            sink.append(contentsOf: bytes)
        }
        append(UInt64(db.sources.count), sink)
        for s in db.sources {
            let bytes = Array(s.utf8)
            append(UInt64(bytes.count), sink)
            sink.append(contentsOf: bytes)
        }
        append(checksum(UnsafeRawBufferPointer(sink.bytes)), sink)
        try replaceFile(path, with: UnsafeRawBufferPointer(sink.bytes))
    }

    private static func append(_ v: UInt64, _ sink: ByteSink) {
        withUnsafeBytes(of: v.littleEndian) { sink.append($0) }
    }

    /// A 64-bit checksum of `bytes` (and of their length). Each step is a bijection of the
    /// running value and of the word mixed in, so any change confined to one 8-byte word,
    /// such as a flipped byte, always changes the result.
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        let words = bytes.count / 8
        for i in 0..<words {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
        }
        var tail: UInt64 = 0
        for i in (words * 8)..<bytes.count { tail = tail << 8 | UInt64(bytes[i]) }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }

    // MARK: Reading

    /// Reads the cache at `path`, checking every count and length against the bytes that
    /// are there, the checksum, the key and the tables' order.
    static func load(_ path: String, key: UInt64, sources: [String]) -> Outcome {
        let bytes: [UInt8]
        switch readWholeFile(path, limit: maximumSize) {
        case .success(let b): bytes = b
        case .failure(let e) where e.missing: return .missing
        case .failure(let e): return .damaged(e.reason)
        }
        do {
            return .loaded(try parse(bytes, key: key, sources: sources))
        } catch {
            return .damaged(error.reason)
        }
    }

    static func parse(_ bytes: [UInt8], key: UInt64, sources expectedSources: [String]) throws(Damaged) -> RegistryDatabase {
        guard bytes.count >= magic.count + 16 else {
            throw Damaged(bytes.isEmpty ? "empty file" : "truncated (\(bytes.count) bytes)")
        }
        guard bytes[0..<magic.count].elementsEqual(magic) else { throw Damaged("not a registry cache (wrong header)") }
        let end = bytes.count - 8
        let stored = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: end, as: UInt64.self) }
        let computed = bytes.withUnsafeBytes { checksum(UnsafeRawBufferPointer(rebasing: $0[0..<end])) }
        guard UInt64(littleEndian: stored) == computed else { throw Damaged("checksum mismatch (truncated or changed)") }

        var r = Reader(bytes: bytes, position: magic.count, end: end)
        guard try r.u64() == key else { throw Damaged("written for other inputs") }
        let db = RegistryDatabase()
        var tables: [RangeTable] = []
        for name in ["IPv4", "IPv6", "ASN"] {
            let n = try r.count(unitSize: 8 + 8 + 2, what: "\(name) table")
            let firsts = try r.array(n, UInt64.self)
            let lasts = try r.array(n, UInt64.self)
            let values = try r.array(n, UInt16.self)
            // Sorted, disjoint intervals, as RangeTable's lookup needs.
            for i in 0..<n {
                guard firsts[i] <= lasts[i], i == 0 || lasts[i - 1] < firsts[i] else {
                    throw Damaged("\(name) table is not sorted at interval \(i)")
                }
            }
            tables.append(RangeTable(firsts: firsts, lasts: lasts, values: values))
        }
        db.ipv4 = tables[0]
        db.ipv6 = tables[1]
        db.asnCountries = tables[2]
        let names = try r.count(unitSize: 16, what: "AS names")
        db.asNames.reserveCapacity(names)
        for _ in 0..<names {
            let asn = try r.u64()
            guard let a = UInt32(exactly: asn) else { throw Damaged("AS number \(asn) out of range") }
            db.asNames[a] = try r.string()
        }
        let sources = try r.count(unitSize: 8, what: "source files")
        for _ in 0..<sources { db.sources.append(try r.string()) }
        guard r.position == end else { throw Damaged("\(end - r.position) unexpected bytes after the tables") }
        guard db.sources == expectedSources else { throw Damaged("lists other source files") }
        return db
    }

    /// A cursor over the cache's bytes that never reads past `end`.
    struct Reader {
        let bytes: [UInt8]
        var position: Int
        let end: Int

        var remaining: Int { end - position }

        mutating func u64() throws(Damaged) -> UInt64 {
            guard remaining >= 8 else { throw Damaged("truncated at byte \(position)") }
            var v: UInt64 = 0
            for i in (position..<(position + 8)).reversed() { v = v << 8 | UInt64(bytes[i]) }
            position += 8
            return v
        }

        /// A count of items of at least `unitSize` bytes each, which must fit in what remains.
        mutating func count(unitSize: Int, what: String) throws(Damaged) -> Int {
            let at = position
            let n = try u64()
            guard n <= UInt64(remaining / unitSize) else {
                throw Damaged("\(what): count \(n) at byte \(at) does not fit in the \(remaining) bytes left")
            }
            return Int(n)
        }

        mutating func array<T: FixedWidthInteger>(_ count: Int, _: T.Type) throws(Damaged) -> [T] {
            let (size, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.stride)
            guard count >= 0, !overflow, size <= remaining else { throw Damaged("truncated at byte \(position)") }
            let start = position
            let out = bytes.withUnsafeBytes { raw in
                [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + size)]))
                    initialized = count
                }
            }
            position += size
            return out
        }

        mutating func string() throws(Damaged) -> String {
            let n = try count(unitSize: 1, what: "string")
            defer { position += n }
            return String(decoding: bytes[position..<(position + n)], as: UTF8.self)
        }
    }
}

/// Why a file could not be read whole.
struct FileReadError: Error {
    var reason: String
    /// The file is not there (as opposed to there but unreadable).
    var missing = false
}

/// The bytes of a regular file of at most `limit` bytes, read as they are (no decompression).
func readWholeFile(_ path: String, limit: Int) -> Result<[UInt8], FileReadError> {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
        let e = errno
        // ENOTDIR: a path through something that is not a directory holds no file either.
        return .failure(FileReadError(reason: "cannot open: \(String(cString: strerror(e)))", missing: e == ENOENT || e == ENOTDIR))
    }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { return .failure(FileReadError(reason: "cannot stat: \(String(cString: strerror(errno)))")) }
    guard (st.st_mode & S_IFMT) == S_IFREG else { return .failure(FileReadError(reason: "not a regular file")) }
    guard st.st_size <= limit else { return .failure(FileReadError(reason: "implausibly large (\(st.st_size) bytes)")) }
    var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
    var got = 0
    while got < bytes.count {
        let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, $0.count - got) }
        if n < 0 {
            if errno == EINTR { continue }
            return .failure(FileReadError(reason: "read failed: \(String(cString: strerror(errno)))"))
        }
        if n == 0 { break }  // shorter than it was a moment ago
        got += n
    }
    if got < bytes.count { bytes.removeSubrange(got...) }
    return .success(bytes)
}

/// Replaces `path` with `bytes` atomically: they are written to a new temporary file in the
/// same directory, flushed, and renamed over `path`. A reader sees the old file or the new
/// one, never half of one, and two writers at once each rename a whole file.
func replaceFile(_ path: String, with bytes: UnsafeRawBufferPointer) throws {
    var template = Array((path + ".tmp.XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else {
        throw RegistryError(path: path, "cannot create a temporary file beside it: \(String(cString: strerror(errno)))")
    }
    let tmp = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    var done = false
    defer { if !done { unlink(tmp) } }
    var failure: String?
    _ = fchmod(fd, 0o644)
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            failure = "cannot write \(tmp): \(String(cString: strerror(errno)))"
            break
        }
        offset += n
    }
    if failure == nil, fsync(fd) != 0 { failure = "cannot flush \(tmp): \(String(cString: strerror(errno)))" }
    if close(fd) != 0, failure == nil { failure = "cannot close \(tmp): \(String(cString: strerror(errno)))" }
    if let failure { throw RegistryError(path: path, failure) }
    guard rename(tmp, path) == 0 else {
        throw RegistryError(path: path, "cannot rename \(tmp) over it: \(String(cString: strerror(errno)))")
    }
    done = true
}

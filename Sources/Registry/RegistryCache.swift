#if canImport(Glibc)
import Glibc
#endif
import MRT
import MRTArchive

/// The compiled registry: the three range tables and the AS names in one binary file,
/// so that the next run reads arrays instead of parsing text.
///
/// Layout: "BLKREG1\n", the 8-byte key, then for each table a count and its firsts,
/// lasts and values; then the AS names as count, (asn, length, bytes)*. Integers are
/// little-endian, as the machines that write and read the cache are.
enum RegistryCache {
    static let magic = Array("BLKREG1\n".utf8)

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
        // Write beside, then rename: a reader never sees half a cache.
        let tmp = path + ".tmp\(getpid())"
        let out = try OutputFile(path: tmp, compression: .none)
        try out.write(sink)
        try out.close()
        if rename(tmp, path) != 0 { unlink(tmp) }
    }

    static func read(_ path: String, key: UInt64) throws -> RegistryDatabase {
        let bytes = try readText(path)
        var p = 0
        func need(_ n: Int) throws {
            if p + n > bytes.count { throw RegistryError(path: path, "cache is truncated") }
        }
        func u64() throws -> UInt64 {
            try need(8)
            let v = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: p, as: UInt64.self) }
            p += 8
            return UInt64(littleEndian: v)
        }
        func array<T>(_ count: Int, _: T.Type) throws -> [T] {
            let size = count * MemoryLayout<T>.stride
            try need(size)
            let out = bytes.withUnsafeBytes { raw in
                [T](unsafeUninitializedCapacity: count) { buf, n in
                    UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[p..<(p + size)]))
                    n = count
                }
            }
            p += size
            return out
        }
        func string() throws -> String {
            let n = Int(try u64())
            try need(n)
            defer { p += n }
            return String(decoding: bytes[p..<(p + n)], as: UTF8.self)
        }
        try need(magic.count)
        guard Array(bytes[0..<magic.count]) == magic else { throw RegistryError(path: path, "not a registry cache") }
        p = magic.count
        guard try u64() == key else { throw RegistryError(path: path, "cache is for other inputs") }
        let db = RegistryDatabase()
        var tables: [RangeTable] = []
        for _ in 0..<3 {
            let n = Int(try u64())
            guard n < 50_000_000 else { throw RegistryError(path: path, "implausible table size") }
            tables.append(RangeTable(firsts: try array(n, UInt64.self), lasts: try array(n, UInt64.self),
                                     values: try array(n, UInt16.self)))
        }
        db.ipv4 = tables[0]
        db.ipv6 = tables[1]
        db.asnCountries = tables[2]
        let names = Int(try u64())
        db.asNames.reserveCapacity(names)
        for _ in 0..<names {
            let asn = UInt32(truncatingIfNeeded: try u64())
            db.asNames[asn] = try string()
        }
        let sources = Int(try u64())
        for _ in 0..<sources { db.sources.append(try string()) }
        return db
    }

    private static func append(_ v: UInt64, _ sink: ByteSink) {
        withUnsafeBytes(of: v.littleEndian) { sink.append($0) }
    }
}

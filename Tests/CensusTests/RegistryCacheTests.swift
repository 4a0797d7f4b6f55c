import Foundation
import MRT
import MRTArchive
@testable import Registry
import Testing
import TestSupport

/// The compiled registry cache read as untrusted input: whatever happened to the file
/// (cut short, bytes changed, overwritten, emptied), loading gives the same tables as the
/// registry files, says so with a warning, and leaves a valid cache behind. Every test has
/// its own cache directory, passed to `load` (tests run in parallel in one process, so no
/// environment variable is set).
@Suite struct RegistryCacheTests {
    /// A small registry directory: two RIRs' delegated files and AS names.
    static func makeRegistry() throws -> String {
        let dir = try tempDir("registry")
        let apnic = """
            2|apnic|20140630|11|19850701|20140627|+1000
            apnic|*|asn|*|3|summary
            apnic|*|ipv4|*|4|summary
            apnic|*|ipv6|*|2|summary
            apnic|KP|ipv4|175.45.176.0|1024|20091127|allocated
            apnic|CN|ipv4|1.0.1.0|256|20110414|allocated
            apnic|AU|ipv4|1.0.0.0|256|20110811|assigned
            apnic|JP|ipv4|1.0.16.0|4096|20110412|allocated
            apnic|JP|ipv6|2001:200::|35|19990813|allocated
            apnic|CN|ipv6|2001:250::|35|20000426|allocated
            apnic|KP|asn|131279|1|20091127|allocated
            apnic|CN|asn|4837|1|20020801|allocated
            apnic|JP|asn|2497|1|19970411|allocated

            """
        let ripe = """
            2|ripencc|20140630|5|19830705|20140629|+0100
            ripencc|FR|ipv4|2.0.0.0|1048576|20100712|allocated
            ripencc|DE|ipv4|2.16.0.0|524288|20100910|allocated
            ripencc|DE|ipv6|2001:608::|32|19990812|allocated
            ripencc|FR|asn|3215|1|19940513|allocated
            ripencc|DE|asn|3320|16|19940801|allocated

            """
        try apnic.write(toFile: dir + "/delegated-apnic-latest.20140630", atomically: true, encoding: .utf8)
        try ripe.write(toFile: dir + "/delegated-ripencc-latest.20140630", atomically: true, encoding: .utf8)
        let names = #"{"131279": "STAR-KP Ryugyong-dong, KP", "4837": "CHINA169-BACKBONE CHINA UNICOM, CN", "#
            + #""3215": "France T\u00e9l\u00e9com \"Orange\", FR", "3320": "DTAG Deutsche Telekom AG, DE"}"#
        let out = try OutputFile(path: dir + "/asnames.json.gz", compression: .gzip)
        try Array(names.utf8).withUnsafeBytes { try out.write($0) }
        try out.close()
        return dir
    }

    static func tempDir(_ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("blackout-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// Everything a loaded registry holds, to compare two loads.
    struct Tables: Equatable {
        var v4: [[UInt64]], v6: [[UInt64]], asn: [[UInt64]]
        var names: [UInt32: String]
        var sources: [String]
        init(_ db: RegistryDatabase) {
            func rows(_ t: RangeTable) -> [[UInt64]] { [t.firsts, t.lasts, t.values.map(UInt64.init)] }
            v4 = rows(db.ipv4)
            v6 = rows(db.ipv6)
            asn = rows(db.asnCountries)
            names = db.asNames
            sources = db.sources
        }
    }

    static func fileNumber(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.systemFileNumber] as? Int)
    }

    /// The one cache file in `dir`, failing if there are others (a temporary file left behind).
    static func cacheFile(in dir: String) throws -> String {
        let files = try FileManager.default.contentsOfDirectory(atPath: dir)
        #expect(files.count == 1, "\(files)")
        let name = try #require(files.first { $0.hasPrefix("registry-") && $0.hasSuffix(".cache") })
        return dir + "/" + name
    }

    /// Loads with `damaged` in place of the cache and checks: the same tables, a warning
    /// naming the cache, and a valid cache afterwards.
    static func expectRecovery(_ damaged: [UInt8], registry: String, cacheDir: String, reference: Tables, near: UInt32? = nil,
                               _ what: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try cacheFile(in: cacheDir)
        try Data(damaged).write(to: URL(fileURLWithPath: path))
        let damagedFile = try fileNumber(path)
        let db = try RegistryDatabase.load(directory: registry, near: near, cacheDirectory: cacheDir)
        // Replaced by renaming a new file over it (atomic for readers), not rewritten in place.
        #expect(try fileNumber(path) != damagedFile, "\(what): rewritten in place", sourceLocation: sourceLocation)
        #expect(!db.fromCache, "\(what)", sourceLocation: sourceLocation)
        #expect(Tables(db) == reference, "\(what)", sourceLocation: sourceLocation)
        let warning = try #require(db.cacheWarning, "\(what): no warning", sourceLocation: sourceLocation)
        #expect(warning.path == path && warning.description.contains("damaged") && warning.description.contains("rebuilt"),
                "\(what): \(warning)", sourceLocation: sourceLocation)
        #expect(db.warnings.first?.description == warning.description, sourceLocation: sourceLocation)
        // Valid again: the next load reads the cache, silently.
        let again = try RegistryDatabase.load(directory: registry, near: near, cacheDirectory: cacheDir)
        #expect(again.fromCache && again.cacheWarning == nil && Tables(again) == reference, "\(what): not valid afterwards",
                sourceLocation: sourceLocation)
        #expect(try cacheFile(in: cacheDir) == path, sourceLocation: sourceLocation)
    }

    /// A fresh load, and the cache it wrote.
    static func prepare() throws -> (registry: String, cacheDir: String, reference: Tables, cache: [UInt8]) {
        let registry = try makeRegistry()
        let cacheDir = try tempDir("cache") + "/blackout"  // created by the loader
        let fresh = try RegistryDatabase.load(directory: registry, cacheDirectory: cacheDir)
        #expect(!fresh.fromCache && fresh.cacheWarning == nil && fresh.warnings.isEmpty, "\(fresh.warnings)")
        let reference = Tables(fresh)
        #expect(reference.v4[0].count == 6 && reference.v6[0].count == 3 && reference.asn[0].count == 5 && reference.names.count == 4)
        #expect(reference.names[3215] == "France Télécom \"Orange\", FR")
        let cached = try RegistryDatabase.load(directory: registry, cacheDirectory: cacheDir)
        #expect(cached.fromCache && cached.cacheWarning == nil && Tables(cached) == reference)
        let cache = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try cacheFile(in: cacheDir))))
        return (registry, cacheDir, reference, cache)
    }

    @Test func truncatedAtEveryLength() throws {
        let (registry, cacheDir, reference, cache) = try Self.prepare()
        for length in 0..<cache.count {
            try Self.expectRecovery(Array(cache.prefix(length)), registry: registry, cacheDir: cacheDir, reference: reference,
                                    "truncated to \(length) of \(cache.count) bytes")
        }
    }

    @Test func everyByteFlipped() throws {
        let (registry, cacheDir, reference, cache) = try Self.prepare()
        // Every byte inverted; single bits at every fifth byte (each load costs a rebuild and an fsync).
        for offset in cache.indices {
            for mask: UInt8 in offset % 5 == 0 ? [0xFF, 0x01, 0x80] : [0xFF] {
                var bytes = cache
                bytes[offset] ^= mask
                try Self.expectRecovery(bytes, registry: registry, cacheDir: cacheDir, reference: reference,
                                        "byte \(offset) xor \(mask)")
            }
        }
    }

    @Test func garbageEmptyAndAppended() throws {
        let (registry, cacheDir, reference, cache) = try Self.prepare()
        var random = SplitMix64(seed: 0xB1AC_0C7E)
        func noise(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8(truncatingIfNeeded: random.next()) } }
        try Self.expectRecovery([], registry: registry, cacheDir: cacheDir, reference: reference, "zero-length")
        for n in [1, 7, 8, 23, 24, 25, 100, cache.count, 70_000] {
            try Self.expectRecovery(noise(n), registry: registry, cacheDir: cacheDir, reference: reference, "\(n) random bytes")
        }
        // The right header, then garbage; compressed-file magic (the cache is not decompressed); text.
        try Self.expectRecovery(Array(cache.prefix(16)) + noise(cache.count), registry: registry, cacheDir: cacheDir,
                                reference: reference, "header then garbage")
        try Self.expectRecovery([0x1F, 0x8B, 8, 0] + noise(200), registry: registry, cacheDir: cacheDir, reference: reference, "gzip magic")
        try Self.expectRecovery(Array("BZh9".utf8) + noise(200), registry: registry, cacheDir: cacheDir, reference: reference, "bzip2 magic")
        try Self.expectRecovery(Array("BLKREG1\n".utf8) + cache.dropFirst(8), registry: registry, cacheDir: cacheDir,
                                reference: reference, "the previous layout's header")
        try Self.expectRecovery(cache + [0], registry: registry, cacheDir: cacheDir, reference: reference, "a byte appended")
        try Self.expectRecovery(cache + cache, registry: registry, cacheDir: cacheDir, reference: reference, "written twice")
        try Self.expectRecovery(Array(repeating: 0, count: cache.count), registry: registry, cacheDir: cacheDir,
                                reference: reference, "zeroed")
    }

    /// Counts and lengths that claim more than the file holds, with a checksum that matches
    /// (as a bug or a person could write): each is refused with a reason, never trusted.
    @Test func forgedCountsAreCheckedAgainstTheBytesLeft() throws {
        let (registry, cacheDir, reference, cache) = try Self.prepare()
        let key = cache[8..<16].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        func u64(_ bytes: [UInt8], at offset: Int) -> UInt64 { bytes[offset..<(offset + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        func setting(_ value: UInt64, at offset: Int, in bytes: [UInt8]) -> [UInt8] {
            var b = bytes
            for i in 0..<8 { b[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
            // A matching checksum, so that only the structure checks stand in the way.
            let sum = b.withUnsafeBytes { RegistryCache.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<(b.count - 8)])) }
            for i in 0..<8 { b[b.count - 8 + i] = UInt8(truncatingIfNeeded: sum >> (8 * UInt64(i))) }
            return b
        }
        // The count fields: the three tables', the names' and the first name's length, the sources'.
        var counts: [(String, Int)] = []
        var p = 16
        for table in ["IPv4", "IPv6", "ASN"] {
            counts.append(("\(table) count", p))
            p += 8 + Int(u64(cache, at: p)) * 18
        }
        counts.append(("AS names count", p))
        counts.append(("first AS name's length", p + 16))
        for _ in 0..<Int(u64(cache, at: p)) { p += 16 + Int(u64(cache, at: p + 16)) }
        p += 8
        counts.append(("sources count", p))
        counts.append(("first source's length", p + 8))

        let sources = reference.sources
        // Unchanged, it parses (the forging is right).
        #expect(throws: Never.self) { try RegistryCache.parse(setting(u64(cache, at: 16), at: 16, in: cache), key: key, sources: sources) }
        for (what, offset) in counts {
            let real = u64(cache, at: offset)
            for value in [real + 1, real + 1000, 1 << 31, 1 << 61, UInt64(Int.max), UInt64(Int.max) + 1, .max] {
                let forged = setting(value, at: offset, in: cache)
                #expect(throws: RegistryCache.Damaged.self, "\(what) = \(value)") {
                    try RegistryCache.parse(forged, key: key, sources: sources)
                }
            }
            try Self.expectRecovery(setting(.max, at: offset, in: cache), registry: registry, cacheDir: cacheDir,
                                    reference: reference, "\(what) forged")
        }
        // Intervals out of order (first > last) with a valid checksum are not handed to lookups.
        let firstV4 = 24  // the first IPv4 interval's first key
        let unsorted = setting(UInt64.max, at: firstV4, in: cache)
        #expect(throws: RegistryCache.Damaged.self) { try RegistryCache.parse(unsorted, key: key, sources: sources) }
        try Self.expectRecovery(unsorted, registry: registry, cacheDir: cacheDir, reference: reference, "unsorted table")
    }

    /// Loads at once on one damaged cache: each gets the tables, and the cache left is whole
    /// (each writer renames its own temporary file).
    @Test func concurrentRebuildsLeaveOneValidCache() async throws {
        let (registry, cacheDir, reference, cache) = try Self.prepare()
        let path = try Self.cacheFile(in: cacheDir)
        try Data(cache.prefix(cache.count / 2)).write(to: URL(fileURLWithPath: path))
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask { Tables(try RegistryDatabase.load(directory: registry, cacheDirectory: cacheDir)) == reference }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
        let after = try RegistryDatabase.load(directory: registry, cacheDirectory: cacheDir)
        #expect(after.fromCache && Tables(after) == reference)
        #expect(try Self.cacheFile(in: cacheDir) == path)
    }

    /// The real 2014 registries: a few damages, each rebuilt to the same tables.
    @Test(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
    func realRegistryRecovers() throws {
        let registry = TestData.path("registry")
        let cacheDir = try Self.tempDir("cache")
        let near: UInt32 = 1_401_487_200
        let fresh = try RegistryDatabase.load(directory: registry, near: near, cacheDirectory: cacheDir)
        #expect(fresh.cacheWarning == nil)
        let reference = Tables(fresh)
        #expect(reference.names.count == 77_586)
        let cache = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try Self.cacheFile(in: cacheDir))))
        var flipped = cache
        flipped[cache.count / 3] ^= 0x10
        for (bytes, what) in [(Array(cache.prefix(cache.count / 2)), "cut in half"), (flipped, "one bit flipped"), ([], "zero-length")] {
            try Self.expectRecovery(bytes, registry: registry, cacheDir: cacheDir, reference: reference, near: near, what)
        }
    }

    /// A cache directory that cannot be written to is not an error: the tables load, uncached.
    @Test func unwritableCacheDirectory() throws {
        let registry = try Self.makeRegistry()
        let file = try Self.tempDir("cache") + "/not-a-directory"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        let db = try RegistryDatabase.load(directory: registry, cacheDirectory: file)
        #expect(!db.fromCache && db.cacheWarning == nil && !Tables(db).v4[0].isEmpty)
    }

    @Test func warningWithoutLineNumber() {
        #expect(RegistryWarning(path: "/c/x.cache", line: 0, message: "damaged").description == "/c/x.cache: damaged")
        #expect(RegistryWarning(path: "f", line: 3, message: "bad").description == "f: line 3: bad")
    }

    @Test func anyFileListsCountry() throws {
        let registry = try Self.makeRegistry()
        #expect(try RegistryDatabase.anyFileLists(CountryCode("KP")!, directory: registry))
        #expect(try RegistryDatabase.anyFileLists(CountryCode("de")!, directory: registry))
        #expect(try !RegistryDatabase.anyFileLists(CountryCode("XX")!, directory: registry))
        #expect(try !RegistryDatabase.anyFileLists(CountryCode("ZZ")!, directory: registry))
        #expect(throws: RegistryError.self) { try RegistryDatabase.anyFileLists(CountryCode("KP")!, directory: "/nonexistent") }
    }
}

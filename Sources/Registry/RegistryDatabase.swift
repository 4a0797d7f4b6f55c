#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MRT
import MRTArchive

/// Where prefixes are mapped to countries from.
public enum GeoSource: Sendable, Equatable {
    /// The RIR delegations (who holds the addresses): the default.
    case registry
    /// DB-IP Lite country ranges found in the registry directory (`dbip-lite/`).
    case dbip
    /// A `start,end,CC` CSV file (plain or compressed), or a MaxMind DB file (`.mmdb`).
    case file(String)

    public init(_ text: String) {
        switch text {
        case "registry": self = .registry
        case "dbip": self = .dbip
        default: self = .file(text)
        }
    }
}

/// Prefix → country, ASN → country and ASN → name, loaded from a directory of registry
/// files and kept in a compiled cache (see `cacheDirectory`).
public final class RegistryDatabase: @unchecked Sendable {
    public internal(set) var ipv4 = RangeTable()
    public internal(set) var ipv6 = RangeTable()
    public internal(set) var asnCountries = RangeTable()
    public internal(set) var asNames: [UInt32: String] = [:]
    /// The files the tables were built from.
    public internal(set) var sources: [String] = []
    /// Lines of the registry files that were skipped, and first, when the compiled cache
    /// could not be read and was rebuilt, `cacheWarning`.
    public internal(set) var warnings: [RegistryWarning] = []
    /// Set when a compiled cache was there but damaged (truncated, changed, unreadable):
    /// the tables were built again from the registry files and the cache replaced.
    public internal(set) var cacheWarning: RegistryWarning?
    /// Whether the tables came from the compiled cache.
    public internal(set) var fromCache = false

    init() {}

    /// The country of a prefix: that of the most specific block holding its first address.
    @inlinable
    public func country(of prefix: Prefix) -> CountryCode? {
        let table = prefix.isV6 ? ipv6 : ipv4
        return table.lookup(RangeTable.key(prefix.address)).map(CountryCode.init(rawValue:))
    }

    @inlinable
    public func country(ofASN asn: UInt32) -> CountryCode? {
        asnCountries.lookup(UInt64(asn)).map(CountryCode.init(rawValue:))
    }

    public func name(ofASN asn: UInt32) -> String? { asNames[asn] }

    /// Every country some block or ASN is registered to.
    public var countries: Set<CountryCode> {
        Set((ipv4.values + ipv6.values + asnCountries.values).map(CountryCode.init(rawValue:)))
    }

    // MARK: Loading

    static let registries = ["afrinic", "apnic", "arin", "lacnic", "ripencc", "iana"]

    /// A delegated file found in the directory, with the date it describes.
    struct Candidate {
        var path: String
        var registry: String
        var date: Int  // YYYYMMDD, 0 if unknown
    }

    /// Loads the registry files in `directory`.
    ///
    /// Per registry (the five RIRs and IANA), the delegated file whose date (from its
    /// name, else its version line) is closest to `date` is used, so that a 2014 routing
    /// table is mapped with 2014 registrations; without a date, the newest.
    ///
    /// The compiled tables are kept in `cacheDirectory` (by default `Self.cacheDirectory`).
    /// A cache that is there but cannot be read whole is rebuilt from the files and
    /// replaced, with `cacheWarning` set.
    public static func load(directory: String, near date: UInt32? = nil, geo: GeoSource = .registry,
                            useCache: Bool = true, cacheDirectory: String? = nil) throws -> RegistryDatabase {
        let (names, candidates) = try Self.candidates(in: directory)
        let target = date.map(Self.yyyymmdd)
        var chosen: [Candidate] = []
        for r in registries {
            var mine = candidates.filter { $0.registry == r }
            for i in mine.indices where mine[i].date == 0 {
                mine[i].date = (try? Self.versionDate(mine[i].path)) ?? 0
            }
            let pick: Candidate?
            if let t = target {
                pick = mine.min { abs(daysBetween($0.date, t)) < abs(daysBetween($1.date, t)) }
            } else {
                pick = mine.max { $0.date < $1.date }
            }
            if let pick { chosen.append(pick) }
        }
        var inputs = chosen.map(\.path)
        let namesPath = directory + "/asnames.json.gz"
        let hasNames = names.contains("asnames.json.gz")
        if hasNames { inputs.append(namesPath) }
        var geoFiles: [String] = []
        switch geo {
        case .registry: break
        case .dbip:
            let dir = directory + "/dbip-lite"
            guard let files = listDirectory(dir) else {
                throw RegistryError(path: dir, "no DB-IP Lite files for --geo dbip")
            }
            geoFiles = files.filter { $0.hasPrefix("dbip-country-lite-") }.sorted().map { dir + "/" + $0 }
        case .file(let path):
            guard fileSignature(path) != nil else { throw RegistryError(path: path, "cannot read the geolocation file") }
            geoFiles = [path]
        }
        inputs += geoFiles

        let key = cacheKey(inputs: inputs, geo: geo)
        let cacheDir = cacheDirectory ?? Self.cacheDirectory
        let cachePath = cacheDir + "/registry-\(String(key, radix: 16)).cache"
        var cacheWarning: RegistryWarning?
        if useCache {
            switch RegistryCache.load(cachePath, key: key, sources: inputs) {
            case .loaded(let cached):
                cached.fromCache = true
                return cached
            case .missing:
                break
            case .damaged(let reason):
                cacheWarning = RegistryWarning(path: cachePath, line: 0,
                                               message: "compiled registry cache is damaged (\(reason)); rebuilt from the registry files")
            }
        }

        let db = RegistryDatabase()
        var v4: [(first: UInt64, last: UInt64, value: UInt16)] = []
        var v6: [(first: UInt64, last: UInt64, value: UInt16)] = []
        var asn: [(first: UInt64, last: UInt64, value: UInt16)] = []
        for c in chosen {
            let file = DelegatedFile(path: c.path, text: try readText(c.path))
            db.warnings += file.warnings
            for (block, cc) in file.ipv4 where cc.description != "ZZ" {
                let r = RangeTable.range(block)
                v4.append((r.first, r.last, cc.rawValue))
            }
            for (block, cc) in file.ipv6 where cc.description != "ZZ" {
                let r = RangeTable.range(block)
                v6.append((r.first, r.last, cc.rawValue))
            }
            for a in file.asns where a.country.description != "ZZ" {
                asn.append((UInt64(a.first), UInt64(a.first) + UInt64(a.count) - 1, a.country.rawValue))
            }
        }
        if !geoFiles.isEmpty {
            v4 = []
            v6 = []
            for path in geoFiles {
                if MMDBFile.isMMDB(path) {
                    let g = try MMDBFile(path: path).countryRanges()
                    v4 += g.v4.map { ($0.0, $0.1, $0.2) }
                    v6 += g.v6.map { ($0.0, $0.1, $0.2) }
                } else {
                    let g = try GeoRanges.load(path)
                    v4 += g.v4.map { ($0.0, $0.1, $0.2) }
                    v6 += g.v6.map { ($0.0, $0.1, $0.2) }
                    db.warnings += g.warnings
                }
            }
        }
        db.ipv4 = RangeTable(ranges: v4)
        db.ipv6 = RangeTable(ranges: v6)
        db.asnCountries = RangeTable(ranges: asn)
        if hasNames { db.asNames = try ASNames.load(namesPath) }
        db.sources = inputs
        if useCache {
            do {
                try RegistryUpdate.makeDirectory(cacheDir)
                try RegistryCache.write(db, to: cachePath, key: key)
            } catch {
                // No cache is only slower; a damaged one that stays would be warned about on every run.
                if var w = cacheWarning {
                    unlink(cachePath)
                    w.message += "; could not write the new cache: \(error)"
                    cacheWarning = w
                }
            }
        }
        if let cacheWarning {
            db.cacheWarning = cacheWarning
            db.warnings.insert(cacheWarning, at: 0)
        }
        return db
    }

    /// The directory's names, and its delegated files of the known registries.
    static func candidates(in directory: String) throws -> (names: [String], candidates: [Candidate]) {
        guard let names = listDirectory(directory) else {
            throw RegistryError(path: directory, "cannot read the registry directory (does it exist?)")
        }
        var candidates: [Candidate] = []
        for name in names {
            guard name.hasPrefix("delegated-") else { continue }
            let parts = name.split(separator: "-")
            guard parts.count >= 3, registries.contains(String(parts[1])) else { continue }
            var fileDate = 0
            if let dot = name.lastIndex(of: "."), let d = Int(name[name.index(after: dot)...].prefix(8)), d > 19_000_000 {
                fileDate = d
            }
            candidates.append(Candidate(path: directory + "/" + name, registry: String(parts[1]), date: fileDate))
        }
        guard !candidates.isEmpty else {
            throw RegistryError(path: directory, "no delegated-* files (run `blackout registry update --dest \(directory)`)")
        }
        return (names, candidates)
    }

    /// Whether any delegated file in `directory`, of any date, registers something to `country`
    /// (a quick scan for its `|CC|` field, without loading the tables), to tell a country
    /// code that no registry knows from one that has no routes.
    public static func anyFileLists(_ country: CountryCode, directory: String) throws -> Bool {
        let first = UInt8(country.rawValue >> 8), second = UInt8(country.rawValue & 0xFF)
        let bar = UInt8(ascii: "|")
        for c in try candidates(in: directory).candidates {
            let text = try readText(c.path)
            let found = text.withUnsafeBufferPointer { b -> Bool in
                guard let base = b.baseAddress, b.count >= 4 else { return false }
                // Upper-case letters are rare outside the country field: find the first, then look around it.
                var i = 1
                while i + 2 < b.count {
                    guard let hit = memchr(base + i, Int32(first), b.count - 2 - i) else { return false }
                    i = UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
                    if b[i - 1] == bar, b[i + 1] == second, b[i + 2] == bar { return true }
                    i += 1
                }
                return false
            }
            if found { return true }
        }
        return false
    }

    /// Where compiled registries are kept: `$XDG_CACHE_HOME/blackout`, else `~/.cache/blackout`
    /// (never beside the registry files, which may be read-only or shared).
    public static var cacheDirectory: String {
        if let xdg = getenv("XDG_CACHE_HOME").map({ String(cString: $0) }), !xdg.isEmpty { return xdg + "/blackout" }
        let home = getenv("HOME").map { String(cString: $0) } ?? "/tmp"
        return home + "/.cache/blackout"
    }

    /// YYYYMMDD of a Unix time.
    static func yyyymmdd(_ t: UInt32) -> Int {
        let (y, m, d) = civilDate(t)
        return y * 10_000 + m * 100 + d
    }

    /// Days from `a` to `b` (YYYYMMDD), roughly: enough to pick the closest file.
    static func daysBetween(_ a: Int, _ b: Int) -> Int {
        func days(_ x: Int) -> Int { (x / 10_000) * 372 + (x / 100 % 100) * 31 + x % 100 }
        return days(b) - days(a)
    }

    /// The end date in a delegated file's version line.
    static func versionDate(_ path: String) throws -> Int? {
        let text = try readText(path)
        var found: Int?
        forEachLine(text) { _, line in
            guard found == nil, let first = line.first, first != UInt8(ascii: "#") else { return }
            let f = line.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
            if f.count >= 6 { found = Int(String(decoding: f[5], as: UTF8.self)) ?? -1 }
        }
        return found.flatMap { $0 > 0 ? $0 : nil }
    }

    /// A key over the inputs' names, sizes and modification times and the mapping choice.
    static func cacheKey(inputs: [String], geo: GeoSource) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) { for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 } }
        mix(Array("blackout-registry-v2".utf8))  // v2: the cache layout with a checksum
        for path in inputs {
            mix(Array(path.utf8))
            if let s = fileSignature(path) { mix(Array("\(s.size):\(s.mtime)".utf8)) }
        }
        if case .file(let p) = geo { mix(Array(p.utf8)) }
        return h
    }
}

/// Names in a directory, or nil if it cannot be read.
func listDirectory(_ path: String) -> [String]? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// Size and modification time of a file, or nil if it cannot be read.
func fileSignature(_ path: String) -> (size: Int, mtime: Int)? {
    var st = stat()
    guard stat(path, &st) == 0, access(path, R_OK) == 0 else { return nil }
    return (Int(st.st_size), Int(st.st_mtim.tv_sec))
}

import Connectivity
import MRT
import MRTArchive
import Registry

/// The census of routing tables read from RIB files: one job for `countries`, `country` and
/// `watch`. The registry is loaded at the first RIB entry, for the table's date.
public struct CensusJob {
    public var options: CensusOptions
    public var registryDirectory: String
    public var geo: GeoSource
    /// Warnings: skipped registry lines, damaged records.
    public var onWarning: (String) -> Void = { _ in }
    /// A registry cache that could not be read and was rebuilt (one line, once).
    public var onCacheWarning: (String) -> Void = { _ in }
    /// Damaged records reported one by one up to this many (the rest are counted).
    public var damageReports = 20

    public init(options: CensusOptions = CensusOptions(), registryDirectory: String, geo: GeoSource = .registry) {
        self.options = options
        self.registryDirectory = registryDirectory
        self.geo = geo
    }

    /// What the job found, and how long its parts took.
    public struct Result {
        public var census: Census
        public var registry: RegistryDatabase
        public var builder: CensusBuilder
        public var damagedRecords: Int
        public var readSeconds: Double
        public var registrySeconds: Double
    }

    /// Why a census could not be taken.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Reads `ribs` and takes the census.
    public func run(ribs: [String]) throws -> Result {
        let started = ContinuousClock.now
        var registrySeconds = 0.0
        let builder = CensusBuilder(options: options) { [registryDirectory, geo, onWarning, onCacheWarning] time in
            let t = ContinuousClock.now
            defer { registrySeconds = elapsed(since: t) }
            do {
                let db = try RegistryDatabase.load(directory: registryDirectory, near: time, geo: geo)
                if let w = db.cacheWarning { onCacheWarning("\(w)") }
                let lines = db.warnings.dropFirst(db.cacheWarning == nil ? 0 : 1)  // the cache's comes first
                for w in lines.prefix(5) { onWarning("\(w)") }
                if lines.count > 5 { onWarning("\(lines.count - 5) more registry lines skipped") }
                return db
            } catch {
                throw Failure(description: "\(error)")
            }
        }
        var damaged = 0
        for path in ribs {
            let source: ByteSource
            do { source = try Input.open(path).source } catch { throw Failure(description: error.description) }
            let reader = MRTReader(source: source, name: path)
            let report: (MRTDiagnostic) -> Void = { [onWarning, damageReports] d in
                guard d.isDamage else { return }
                damaged += 1
                if damaged <= damageReports { onWarning("\(d)") }
            }
            reader.onDiagnostic = report
            let stream = ElementStream(reader: reader)
            stream.onDiagnostic = report
            try stream.forEach { try builder.add($0) }
            if reader.stats.records == 0 {
                throw Failure(description: "\(path): no MRT records (empty or not an MRT archive)")
            }
        }
        let read = elapsed(since: started)
        guard let census = builder.finish(), let db = builder.registry else {
            throw Failure(description: "no RIB entries in \(ribs.joined(separator: ", "))"
                + (options.peerASNs.isEmpty ? "" : " from peer AS \(options.peerASNs.sorted().map(String.init).joined(separator: ","))")
                + " (a RIB needs its PEER_INDEX_TABLE; update files are not routing tables)")
        }
        return Result(census: census, registry: db, builder: builder, damagedRecords: damaged,
                      readSeconds: read, registrySeconds: registrySeconds)
    }
}

import ArgumentParser
import Connectivity
import MRT
import MRTArchive
import Registry

/// Options shared by `countries` and `country`: the routing table and the registry.
struct CensusArguments: ParsableArguments {
    @Option(name: .customLong("rib"), help: "MRT RIB dump(s) to take the routing table from. Repeatable.")
    var ribs: [String] = []

    @Option(help: "Directory of registry files (delegated-*, asnames.json.gz); see `blackout registry update`.")
    var registry: String

    @Option(name: .customLong("peer-asn"), help: "Use only the routes of peers with this ASN. Repeatable.")
    var peerASNs: [UInt32] = []

    @Option(help: "Map prefixes to countries by: registry (RIR delegations, default), dbip (DB-IP Lite in the registry directory), or a file: a start,end,CC CSV or a MaxMind DB (.mmdb).")
    var geo: String = "registry"

    @Option(help: "A prefix counts when more than this share of full-feed peers carry it.")
    var visibility: Double = 0.5

    @Option(name: .customLong("full-feed"), help: "A peer is full-feed when it carries at least this share of the largest peer's IPv4 prefixes.")
    var fullFeed: Double = 0.8

    @Flag(name: .shortAndLong, help: "Do not report damaged records one by one.")
    var quiet = false

    @Flag(help: "Print how long reading, loading the registry and the census took, to standard error.")
    var timing = false

    func validate() throws {
        if ribs.isEmpty { throw ValidationError("Give at least one routing table with --rib FILE.") }
        try requireFlag("--visibility", visibility, in: "[0, 1) (a share of the full-feed peers)", visibility >= 0 && visibility < 1)
        try requireFlag("--full-feed", fullFeed, in: "(0, 1] (a share of the largest peer's prefixes)", fullFeed > 0 && fullFeed <= 1)
        for asn in peerASNs {
            // A BGP speaker never uses AS 0 (RFC 7607), so no peer has it.
            try requireFlag("--peer-asn", asn, in: "1...4294967295 (an AS number)", asn > 0)
        }
    }

    /// Stops, before the routing tables are read, when no registry file in --registry (of
    /// any date) lists `country`: a code no registry knows, rather than a country without
    /// routes. Geolocation files may know countries no registry lists, so with --geo other
    /// than `registry` the census's own check is left to decide.
    func requireListed(_ country: CountryCode) throws {
        guard GeoSource(geo) == .registry else { return }
        let listed: Bool
        do { listed = try RegistryDatabase.anyFileLists(country, directory: registry) } catch { throw CLIError("\(error)") }
        if !listed { throw CLIError("no registry file lists country \(country) (in \(registry))") }
    }

    /// Reads the RIBs and the registry, and computes the census.
    func run() throws -> (Census, RegistryDatabase) {
        var options = Connectivity.CensusOptions()
        options.visibilityShare = visibility
        options.fullFeedShare = fullFeed
        options.peerASNs = Set(peerASNs)
        let started = ContinuousClock.now
        var registryTime: Duration = .zero
        // The registry is loaded at the first RIB entry, for the table's date.
        let builder = CensusBuilder(options: options) { [registry, geo, quiet] time in
            let t = ContinuousClock.now
            defer { registryTime = ContinuousClock.now - t }
            do {
                let db = try RegistryDatabase.load(directory: registry, near: time, geo: GeoSource(geo))
                // A damaged cache is said even with --quiet: it is one line, once.
                if let w = db.cacheWarning { StandardStreams.printError("blackout: warning: \(w)") }
                let lines = db.warnings.dropFirst(db.cacheWarning == nil ? 0 : 1)  // the cache's comes first
                if !quiet {
                    for w in lines.prefix(5) { StandardStreams.printError("blackout: warning: \(w)") }
                    if lines.count > 5 {
                        StandardStreams.printError("blackout: warning: \(lines.count - 5) more registry lines skipped")
                    }
                }
                return db
            } catch {
                throw CLIError("\(error)")
            }
        }
        var damaged = 0
        for path in ribs {
            let source: ByteSource
            do { source = try Input.open(path).source } catch { throw CLIError(error.description) }
            let reader = MRTReader(source: source, name: path)
            let report: (MRTDiagnostic) -> Void = { d in
                if d.isDamage {
                    damaged += 1
                    if !quiet, damaged <= 20 { StandardStreams.printError("blackout: warning: \(d)") }
                }
            }
            reader.onDiagnostic = report
            let stream = ElementStream(reader: reader)
            stream.onDiagnostic = report
            try stream.forEach { try builder.add($0) }
            if timing { StandardStreams.printError("timing: \(path): attribute cache \(stream.attributeCacheStats)") }
            if reader.stats.records == 0 {
                throw CLIError("\(path): no MRT records (empty or not an MRT archive)")
            }
        }
        let readDone = ContinuousClock.now
        guard let census = builder.finish(), let db = builder.registry else {
            throw CLIError("no RIB entries in \(ribs.joined(separator: ", "))"
                + (peerASNs.isEmpty ? "" : " from peer AS \(peerASNs.map(String.init).joined(separator: ","))")
                + " (a RIB needs its PEER_INDEX_TABLE; update files are not routing tables)")
        }
        if timing {
            let finished = ContinuousClock.now
            let phases = zip(["grouping", "full-feed peers", "by country", "summing"], builder.phaseTimes)
                .map { "\($0) \(seconds($1))" }.joined(separator: ", ")
            let mapping = builder.timePrefixMapping()
            StandardStreams.printError("timing: read \(seconds(readDone - started)) s (of which registry \(seconds(registryTime)) s, "
                                       + "cache: \(db.fromCache)), census \(seconds(finished - readDone)) s (\(phases)); "
                                       + "mapping all \(mapping.prefixes) prefixes to countries: \(seconds(mapping.duration)) s")
        }
        return (census, db)
    }
}

/// A duration in seconds with millisecond precision, for timing lines.
func seconds(_ d: Duration) -> String {
    let ms = d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
    return "\(ms / 1000).\(String(ms % 1000 + 1000).dropFirst())"
}

/// An error for the user: printed as it is, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

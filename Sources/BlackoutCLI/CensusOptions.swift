import ArgumentParser
import Connectivity
import MRT
import MRTArchive
import Pipeline
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
        var job = CensusJob(options: options, registryDirectory: registry, geo: GeoSource(geo))
        job.onWarning = { [quiet] w in if !quiet { StandardStreams.printError("blackout: warning: \(w)") } }
        // A damaged cache is said even with --quiet: it is one line, once.
        job.onCacheWarning = { StandardStreams.printError("blackout: warning: \($0)") }
        let started = ContinuousClock.now
        let r: CensusJob.Result
        do { r = try job.run(ribs: ribs) } catch let e as CensusJob.Failure { throw CLIError(e.description) }
        if timing {
            let phases = zip(["grouping", "full-feed peers", "by country", "summing"], r.builder.phaseTimes)
                .map { "\($0) \(seconds($1))" }.joined(separator: ", ")
            let mapping = r.builder.timePrefixMapping()
            StandardStreams.printError("timing: read \(String(format: r.readSeconds)) s (of which registry \(String(format: r.registrySeconds)) s, "
                                       + "cache: \(r.registry.fromCache)), census \(String(format: elapsed(since: started) - r.readSeconds)) s (\(phases)); "
                                       + "mapping all \(mapping.prefixes) prefixes to countries: \(seconds(mapping.duration)) s")
        }
        return (r.census, r.registry)
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

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

    @Option(help: "Map prefixes to countries by: registry (RIR delegations, default), dbip (DB-IP Lite in the registry directory), or a start,end,CC CSV file.")
    var geo: String = "registry"

    @Option(help: "A prefix counts when more than this share of full-feed peers carry it.")
    var visibility: Double = 0.5

    @Option(name: .customLong("full-feed"), help: "A peer is full-feed when it carries at least this share of the largest peer's IPv4 prefixes.")
    var fullFeed: Double = 0.8

    @Flag(name: .shortAndLong, help: "Do not report damaged records one by one.")
    var quiet = false

    func validate() throws {
        if ribs.isEmpty { throw ValidationError("Give at least one routing table with --rib FILE.") }
        if !(0..<1).contains(visibility) { throw ValidationError("--visibility is a share in [0, 1).") }
        if !(0...1).contains(fullFeed) || fullFeed == 0 { throw ValidationError("--full-feed is a share in (0, 1].") }
    }

    /// Reads the RIBs and the registry, and computes the census.
    func run() throws -> (Census, RegistryDatabase) {
        var options = Connectivity.CensusOptions()
        options.visibilityShare = visibility
        options.fullFeedShare = fullFeed
        options.peerASNs = Set(peerASNs)
        let builder = CensusBuilder(options: options)
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
            try stream.forEach { builder.add($0) }
            if reader.stats.records == 0 {
                throw CLIError("\(path): no MRT records (empty or not an MRT archive)")
            }
        }
        if builder.routesRead == 0 {
            throw CLIError("no RIB entries in \(ribs.joined(separator: ", "))"
                + (peerASNs.isEmpty ? "" : " from peer AS \(peerASNs.map(String.init).joined(separator: ","))")
                + " (a RIB needs its PEER_INDEX_TABLE; update files are not routing tables)")
        }
        let db: RegistryDatabase
        do {
            db = try RegistryDatabase.load(directory: registry, near: builder.timestamp, geo: GeoSource(geo))
        } catch {
            throw CLIError("\(error)")
        }
        if !quiet {
            for w in db.warnings.prefix(5) { StandardStreams.printError("blackout: warning: \(w)") }
            if db.warnings.count > 5 { StandardStreams.printError("blackout: warning: \(db.warnings.count - 5) more registry lines skipped") }
        }
        return (builder.finish(registry: db), db)
    }
}

/// An error for the user: printed as it is, exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

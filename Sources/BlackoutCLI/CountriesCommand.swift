import ArgumentParser
import Connectivity
import MRT
import Registry

/// `blackout countries`: every country's networks and providers, ranked as Dyn ranked them.
struct CountriesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "countries",
        abstract: "Rank countries by their routed networks, with their international providers and risk.",
        discussion: """
            Reads a routing table (MRT RIB dumps) and a registry directory, and prints one row per \
            country: visible IPv4 prefixes, address space in /24 equivalents, IPv6 prefixes, origin \
            ASes, frontier ASes and the risk band (severe 1-2 frontier ASes with a direct international \
            provider, significant 3-9, low 10-40, resistant more).

            Examples:
              blackout countries --rib rib.20140530.2200.bz2 --registry registry/ --top 20
              blackout countries --rib rib.bz2 --registry registry/ --peer-asn 30844 --json
            """
    )

    @OptionGroup var census: CensusArguments

    @Option(help: "Print only the first N countries.")
    var top: Int?

    @Flag(help: "Print a JSON array of country objects.")
    var json = false

    @Flag(help: "Print CSV with a header line.")
    var csv = false

    func validate() throws {
        if json && csv { throw ValidationError("--json and --csv exclude each other.") }
        if let top, top < 1 { throw ValidationError("--top takes a positive number.") }
    }

    func run() throws {
        let (result, _) = try census.run()
        var reports = result.countries
        if let top { reports = Array(reports.prefix(top)) }
        let sink = ByteSink(capacity: 1 << 16)
        if json {
            sink.append("[")
            for (i, r) in reports.enumerated() {
                if i > 0 { sink.append(",\n") }
                CensusOutput.json(r, sink)
            }
            sink.append("]\n")
        } else if csv {
            sink.append(CensusOutput.csvHeader)
            for (i, r) in reports.enumerated() { sink.append(CensusOutput.csv(r, rank: i + 1)) }
        } else {
            sink.append(CensusOutput.tableHeader)
            for (i, r) in reports.enumerated() { sink.append(CensusOutput.tableRow(r, rank: i + 1)) }
            sink.append("\(result.countries.count) countries; \(result.visiblePrefixes) of \(result.prefixes) prefixes visible; "
                        + "\(result.fullFeedPeers) of \(result.peers) peers full-feed\n")
        }
        StandardStreams.flush(sink)
    }
}

/// `blackout country CC`: one country's report.
struct CountryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "country",
        abstract: "Report one country: networks, address space, origin ASes, international providers and dependence.",
        discussion: """
            Example:
              blackout country KP --rib rib.20140530.2200.bz2 --registry registry/ --peer-asn 30844
            """
    )

    @Argument(help: "Two-letter country code (ISO 3166-1), e.g. KP.")
    var code: String

    @OptionGroup var census: CensusArguments

    @Flag(help: "Print the report as a JSON object.")
    var json = false

    func validate() throws {
        if CountryCode(code) == nil { throw ValidationError("'\(code)' is not a two-letter country code.") }
    }

    func run() throws {
        let cc = CountryCode(code)!
        let (result, registry) = try census.run()
        let report: CountryReport
        if let r = result.report(for: cc) {
            report = r
        } else if registry.countries.contains(cc) {
            report = .empty(cc)
        } else {
            throw CLIError("no country \(cc) in the registry (\(registry.sources.count) files read)")
        }
        let sink = ByteSink(capacity: 1 << 14)
        if json {
            CensusOutput.json(report, sink)
            sink.append("\n")
        } else {
            sink.append(CensusOutput.text(report))
        }
        StandardStreams.flush(sink)
    }
}

import ArgumentParser
import Connectivity
import MRT
import Pipeline
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
        if let top, top < 1 { throw ValidationError("--top must be at least 1 (a number of countries); got \(top).") }
    }

    func run() throws {
        let (result, _) = try census.run()
        var reports = result.countries
        if let top { reports = Array(reports.prefix(top)) }
        let sink = ByteSink(capacity: 1 << 16)
        if json {
            CensusRendering.json(reports, into: sink)
        } else if csv {
            CensusRendering.csv(reports, into: sink)
        } else {
            CensusRendering.table(reports, census: result, into: sink)
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
        try census.requireListed(cc)
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
            CensusRendering.json(report, into: sink)
            sink.append("\n")
        } else {
            CensusRendering.text(report, into: sink)
        }
        StandardStreams.flush(sink)
    }
}

import ArgumentParser
import Collectors
import Registry

/// `blackout registry`: the registry files that map prefixes and ASes to countries.
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Manage the RIR registry files used to map prefixes and ASes to countries.",
        subcommands: [RegistryUpdateCommand.self]
    )
}

struct RegistryUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Download the RIRs' statistics files: the current ones, or those of a date.",
        discussion: """
            Without --date: delegated-<rir>-extended-latest of AFRINIC, APNIC, ARIN, LACNIC and the RIPE NCC, \
            and delegated-iana-latest, each replacing the one in DEST only when the new one is whole and is \
            that RIR's statistics file. With --date: the five RIRs' files of that day (as the RIRs keep them, \
            delegated-ripencc-20141221.bz2 in a per-year folder; a RIR without one gives its newest of the week \
            before), kept under their own names beside any other \
            date's: Blackout maps a routing table with the files closest to its date. --registry-url points \
            at one server laid out as <base>/<rir>/..., as ftp.ripe.net/pub/stats mirrors them.

            Examples:
              blackout registry update
              blackout registry update --date 2014-12-21
              blackout countries --rib rib.20141221.0000.bz2 --registry ~/.local/share/blackout/registry
            """
    )

    @Option(help: ArgumentHelp("Directory to write the files to.", valueName: "dir"))
    var dest: String = RegistryUpdate.defaultDirectory

    @Option(help: ArgumentHelp("The day whose files to fetch (2014-12-21, or any time of it).", valueName: "date"))
    var date: String?

    @Option(name: .customLong("registry-url"), help: ArgumentHelp("One server with the layout <base>/<rir>/... instead of each RIR's own.", valueName: "url"))
    var registryURL: String?

    @Option(name: .customLong("base-url"), help: .hidden)
    var baseURL: String?

    @Option(help: ArgumentHelp("Seconds a server may stay silent before it is asked again.", valueName: "seconds"))
    var timeout = 30.0

    func validate() throws {
        if let url = registryURL ?? baseURL, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--registry-url must start with http:// or https://; got '\(url)'.")
        }
        if let date, TimeArgument.parse(date) == nil {
            throw ValidationError("--date '\(date)' is not a date: expected 2014-12-21 (or ISO 8601, or Unix seconds).")
        }
        try requireFlag("--timeout", timeout, in: "0.1...3600 seconds", timeout >= 0.1 && timeout <= 3600)
    }

    func run() async throws {
        var options = DownloadOptions()
        options.readTimeout = timeout
        let fetcher = RegistryFetcher(registryURL: registryURL ?? baseURL, download: options)
        let results: [RegistryFetcher.Result]
        if let date, let t = TimeArgument.parse(date) {
            results = await fetcher.fetch(dayOf: t, into: dest)
        } else {
            results = await fetcher.fetchLatest(into: dest)
        }
        var failed = 0
        for r in results {
            if let path = r.path {
                print("\(path.split(separator: "/").last ?? ""): \(r.bytes == 0 ? "already here" : "\(r.bytes) bytes")")
            } else {
                failed += 1
                StandardStreams.printError("blackout: error: \(r.url): \(r.error ?? "failed")")
            }
        }
        print("\(results.count - failed) of \(results.count) files updated in \(dest)")
        if failed > 0 { throw ExitCode.failure }
    }
}

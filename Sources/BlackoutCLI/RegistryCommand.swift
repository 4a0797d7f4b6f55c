import ArgumentParser
import Registry

/// `blackout registry`: the registry files that map prefixes and ASes to countries.
struct RegistryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Manage the RIR registry files used to map prefixes and ASes to countries.",
        subcommands: [RegistryUpdateCommand.self]
    )
}

struct RegistryUpdateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Download the current statistics files of the five RIRs and IANA.",
        discussion: """
            Fetches delegated-<rir>-extended-latest from AFRINIC, APNIC, ARIN, LACNIC and the RIPE NCC, \
            and delegated-iana-latest, into DEST (default: \(RegistryUpdate.defaultDirectory)). With \
            --base-url, files are fetched from one server laid out as <base>/<rir>/<file>, as \
            ftp.ripe.net/pub/stats is. A file that fails to download or is not an RIR statistics file \
            leaves the one already there untouched. Needs curl.

            Example:
              blackout registry update --dest ~/blackout/registry
              blackout countries --rib rib.bz2 --registry ~/blackout/registry
            """
    )

    @Option(help: "Directory to write the files to.")
    var dest: String = RegistryUpdate.defaultDirectory

    @Option(name: .customLong("base-url"), help: "One server with the layout <base>/<rir>/<file> instead of each RIR's own.")
    var baseURL: String?

    func validate() throws {
        if let baseURL, !(baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://")) {
            throw ValidationError("--base-url must start with http:// or https://")
        }
    }

    func run() throws {
        let results = try RegistryUpdate.run(directory: dest, baseURL: baseURL) { line in
            StandardStreams.printError("blackout: \(line)")
        }
        var failed = 0
        for r in results {
            if let bytes = r.bytes {
                print("\(r.source.file): \(bytes) bytes")
            } else {
                failed += 1
                StandardStreams.printError("blackout: error: \(r.source.url): \(r.error ?? "failed")")
            }
        }
        print("\(results.count - failed) of \(results.count) files updated in \(dest)")
        if failed > 0 { throw ExitCode.failure }
    }
}

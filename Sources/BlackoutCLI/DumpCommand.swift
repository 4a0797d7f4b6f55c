import ArgumentParser
import MRT
import MRTArchive
import MRTFormat

/// `blackout dump`: print the route elements of MRT archives, as bgpdump does and faster.
struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the routes in MRT archives (RouteViews, RIPE RIS), like bgpdump -m.",
        discussion: """
            Reads TABLE_DUMP, TABLE_DUMP_V2 (with ADD-PATH), BGP4MP and BGP4MP_ET records and \
            the deprecated MRT type 5 BGP records, plain or compressed with gzip or bzip2 \
            (recognised by content, not name). FILE may be - for standard input.

            The default format is byte for byte what `bgpdump -m` prints. `json` prints one \
            object per element with bgpkit-parser's field names; `psv` is bgpkit-parser's \
            pipe-separated format.

            Filters are ANDed; each may be repeated (or take a comma list) to OR its values.

            A damaged record is reported on standard error with its file, record index and \
            byte offset, skipped, and counted; the exit status is then 3. With --strict the \
            first damage stops the run (exit 1).

            Examples:
              blackout dump rib.20140530.2200.bz2 > rib.txt
              blackout dump updates.*.gz --type A,W --origin-asn 131279
              blackout dump rib.bz2 --prefix 175.45.176.0/22 --prefix-match more --format json
              blackout dump rib.bz2 --count --stats
            """
    )

    @Argument(help: "MRT files to read, in order (- for standard input).")
    var files: [String]

    @Option(help: "Output format: bgpdump, json or psv.")
    var format: OutputFormat = .bgpdump

    @OptionGroup var filters: FilterOptions

    @Flag(help: "Print only the number of elements that pass the filters.")
    var count = false

    @Flag(help: "Print statistics to standard error: records and elements by kind, damage, bytes, speed.")
    var stats = false

    @Flag(help: "Stop at the first damaged record instead of skipping it.")
    var strict = false

    @Flag(name: .shortAndLong, help: "Do not report damaged records one by one (they are still counted).")
    var quiet = false

    @Option(help: "Threads decoding an uncompressed file (default: the number of cores; 1 reads it sequentially).")
    var threads: Int?

    /// Bytes of records per chunk on the parallel path (for tests of chunk boundaries).
    @Option(help: .hidden)
    var chunkBytes: Int?

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one MRT file (or - for standard input).") }
        _ = try filters.makeFilter()
        if let threads, !(1...ParallelElementStream.maximumThreads).contains(threads) {
            throw ValidationError("--threads takes a number of threads from 1 to \(ParallelElementStream.maximumThreads).")
        }
        if let chunkBytes, chunkBytes < 1 { throw ValidationError("--chunk-bytes takes a positive number of bytes.") }
    }

    func run() throws {
        let filter = try filters.makeFilter()
        let outcome: DumpOutcome
        switch format {
        case .bgpdump: outcome = run(with: BGPDumpFormatter(), filter: filter)
        case .json: outcome = run(with: JSONFormatter(), filter: filter)
        case .psv: outcome = run(with: PSVFormatter(), filter: filter)
        }
        if stats { StandardStreams.printError(outcome.statsReport) }
        if let fatal = outcome.fatalError {
            StandardStreams.printError("blackout: \(fatal)")
            throw ExitCode.failure
        }
        if outcome.damaged { throw ExitCode(ExitCodes.damagedInput) }
    }
}

extension DumpCommand {
    /// Runs with a concrete formatter type, so that its calls are specialised per element.
    private func run<F: ElementFormatter>(with formatter: F, filter: ElementFilter) -> DumpOutcome {
        var job = DumpJob(files: files, formatter: formatter, filter: filter)
        job.countOnly = count
        job.strict = strict
        job.quiet = quiet
        if let threads { job.threads = threads }
        if let chunkBytes { job.chunkBytes = chunkBytes }
        return job.run()
    }
}

extension OutputFormat: ExpressibleByArgument {}
extension ElementFilter.PrefixMatch: ExpressibleByArgument {}

/// Element filters shared by the commands that read MRT.
struct FilterOptions: ParsableArguments {
    @Option(name: .customLong("type"), help: "Element types: A (announce), W (withdraw), R (RIB entry), S (state). Comma list or repeated.")
    var types: [String] = []

    @Option(name: .customLong("prefix"), help: "Keep elements for this prefix (see --prefix-match). Repeatable.")
    var prefixes: [String] = []

    @Option(help: "How --prefix matches: exact, more (and more specifics), less (and less specifics), any.")
    var prefixMatch: ElementFilter.PrefixMatch = .exact

    // AS numbers are 0...4294967295 here: AS 0 is kept searchable, for bogus routes (RFC 7607).
    @Option(name: .customLong("peer-asn"), help: "Keep elements from this peer ASN. Repeatable.")
    var peerASNs: [UInt32] = []

    @Option(name: .customLong("peer-ip"), help: "Keep elements from this peer address. Repeatable.")
    var peerIPs: [String] = []

    @Option(name: .customLong("origin-asn"), help: "Keep routes originated by this ASN. Repeatable.")
    var originASNs: [UInt32] = []

    @Flag(help: "IPv4 prefixes only.")
    var ipv4 = false

    @Flag(help: "IPv6 prefixes only.")
    var ipv6 = false

    @Option(help: "Keep elements at or after this time (Unix seconds or ISO 8601, UTC unless a zone is given).")
    var from: String?

    @Option(help: "Keep elements at or before this time (Unix seconds or ISO 8601).")
    var to: String?

    func makeFilter() throws -> ElementFilter {
        var f = ElementFilter()
        for list in types {
            for item in list.split(separator: ",") {
                guard let k = RouteElement.Kind(letter: item.trimmingCharacters()) else {
                    throw ValidationError("--type takes A, W, R or S; '\(item)' is none of them.")
                }
                f.kinds.insert(k)
            }
        }
        for p in prefixes.flatMap({ $0.split(separator: ",").map(String.init) }) {
            guard let prefix = Prefix(p) else {
                throw ValidationError("--prefix '\(p)' is not a prefix such as 175.45.176.0/22 or 2001:db8::/32.")
            }
            f.prefixes.append(prefix)
        }
        f.prefixMatch = prefixMatch
        f.peerASNs = Set(peerASNs)
        for ip in peerIPs.flatMap({ $0.split(separator: ",") }) {
            guard let a = IPAddress(ip) else { throw ValidationError("--peer-ip '\(ip)' is not an IP address.") }
            f.peerAddresses.insert(a)
        }
        f.originASNs = Set(originASNs)
        if ipv4 && ipv6 { throw ValidationError("--ipv4 and --ipv6 exclude each other; give neither for both.") }
        if ipv4 { f.ipv6Only = false }
        if ipv6 { f.ipv6Only = true }
        // Both parse and are in order (the filter keeps [from, to], both ends included).
        try requirePeriod(from: from, to: to)
        f.from = from.flatMap(TimeArgument.parse)
        f.to = to.flatMap(TimeArgument.parse)
        return f
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> Substring {
        var s = self
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}

import ArgumentParser
import Collectors
import Connectivity
import MRT
import Outages
import Pipeline
import Store
import Registry
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `blackout watch`: fetch, ingest and report countries, for a period or as it happens.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Fetch a period's archives, ingest them, and report each country's census and events.",
        discussion: """
            Fetches the RIB dump at or before --from and every update file up to --to from each collector \
            (see `blackout fetch`; downloads are cached), ingests them into the database (continuing from the \
            state stored there, as `blackout ingest` does), and prints for each country its census at the \
            start (networks, international providers, dependence, risk), its outages and instability in the \
            period, and a one-line summary. --json prints one object {"census": [...], "events": [...]} with \
            the field names of `blackout country --json` and `blackout events --json`.

            With --follow instead of --to, it keeps looking for new files (they appear in the archives 15 to \
            40 minutes after their period) and prints each event of the countries as it opens and closes, \
            until interrupted. Without --registry, the RIRs' statistics files of --from's date are fetched \
            (see `blackout registry update --date`). Collectors of both projects can be mixed.

            Exit status: 0; 3 when damaged records were skipped or files could not be fetched or read (all \
            reported); 1 when nothing could be fetched or stored; 64 for wrong arguments.

            Examples:
              blackout watch KP --collector route-views2 --from 2014-12-21T00:00Z --to 2014-12-23T12:00Z
              blackout watch KP SY --asn 131279 --collector route-views2,rrc00 --from 2014-12-22 --follow
              blackout watch KP --collector route-views2 --from ... --to ... --archive-dir /data/archives --registry reg/
            """
    )

    @Argument(help: ArgumentHelp("Countries (ISO 3166 codes such as KP).", valueName: "cc"))
    var countries: [String]

    @Option(name: .customLong("asn"), parsing: .upToNextOption, help: ArgumentHelp("Origin ASes whose events to report too.", valueName: "n"))
    var asns: [UInt32] = []

    @OptionGroup var selection: CollectorSelection

    @Option(help: ArgumentHelp("End; or --follow.", valueName: "time"))
    var to: String?

    @Flag(help: "Keep following the archives as they grow, printing events as they open and close.")
    var follow = false

    @Option(help: ArgumentHelp("Seconds between looks at the archives with --follow.", valueName: "seconds"))
    var poll = 60.0

    @OptionGroup var database: DatabaseOption

    @Option(help: ArgumentHelp("Directory of RIR statistics files; without it, those of --from's date are fetched.", valueName: "dir"))
    var registry: String?

    @Option(name: .customLong("registry-url"), help: ArgumentHelp("One server laid out as <base>/<rir>/... for the registry files.", valueName: "url"))
    var registryURL: String?

    @OptionGroup var archives: ArchiveSourceOptions

    @OptionGroup var detection: DetectorArguments

    @Flag(help: "One JSON object: {\"census\": [...], \"events\": [...]}; with --follow, one event object per line.")
    var json = false

    @Flag(name: .shortAndLong, help: "No progress and no notes on missing files.")
    var quiet = false

    /// The events of the countries and ASes watched are POSTed as they open, deepen and close.
    @OptionGroup var webhooks: WebhookArguments

    /// Following: the clock starts at this time instead of now (for replaying a past day).
    @Option(name: .customLong("clock-start"), help: .hidden)
    var clockStart: String?

    /// Following: clock seconds per real second.
    @Option(name: .customLong("clock-speed"), help: .hidden)
    var clockSpeed = 1.0

    /// Following: stop after this many looks.
    @Option(name: .customLong("polls"), help: .hidden)
    var polls: Int?

    func validate() throws {
        if countries.isEmpty { throw ValidationError("Give at least one country code (such as KP).") }
        for c in countries where CountryCode(c.uppercased()) == nil {
            throw ValidationError("'\(c)' is not a two-letter country code (such as KP).")
        }
        switch (to, follow) {
        case (nil, false): throw ValidationError("Give --to TIME, or --follow to keep watching.")
        case (.some, true): throw ValidationError("--to and --follow exclude each other.")
        default: break
        }
        try requirePeriod(from: selection.from, to: to)
        try requireFlag("--poll", poll, in: "0.2...3600 seconds", poll >= 0.2 && poll <= 3600)
        for asn in asns { try requireFlag("--asn", asn, in: "1...4294967295 (AS 0 is never an origin)", asn > 0) }
        if let url = registryURL, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("--registry-url must start with http:// or https://; got '\(url)'.")
        }
        if let clockStart, TimeArgument.parse(clockStart) == nil { throw ValidationError("--clock-start: not a time.") }
        try requireFlag("--clock-speed", clockSpeed, in: "(0, 1000000]", clockSpeed > 0 && clockSpeed <= 1_000_000)
        if let polls { try requireFlag("--polls", polls, in: "1...1000000", polls >= 1 && polls <= 1_000_000) }
    }

    func run() async throws {
        var options = WatchOptions(countries: countries.map { CountryCode($0.uppercased())! },
                                   collectors: try selection.collectors,
                                   from: try selection.start,
                                   to: try to.map { try CollectorArguments.time($0, flag: "--to") })
        options.asns = asns
        options.archives = archives.source
        options.registryDirectory = registry
        options.registryURL = registryURL
        options.detector = detection.detectorOptions
        options.pollSeconds = poll
        options.maxPolls = polls
        let store = try database.open()
        let job = WatchJob(store: store, options: options)
        let quiet = quiet, json = json
        let display = DownloadDisplay(quiet: quiet)
        job.onFetch = { display.handle($0) }
        job.onWarning = { if !quiet { StandardStreams.printError("blackout: warning: \($0)") } }
        let progress = Progress(enabled: !quiet && StandardStreams.stderrIsTerminal)
        let started = ContinuousClock.now
        job.onIngestProgress = { p in
            progress.update(line: "ingesting: files \(p.filesDone)/\(p.files)  \(p.elements) elements  at \(utcMinute(p.reached)) UTC", since: started)
        }
        let report: WatchReport
        let countries = Set(options.countries), asns = Set(options.asns)
        let watched: @Sendable (Event) -> Bool = { e in
            e.country.map(countries.contains) == true || e.asn.map(asns.contains) == true
        }
        do {
            report = try await webhooks.run(store: store, db: database.db, quiet: quiet, accepts: watched) { () async throws -> WatchReport in
                if follow {
                    if let s = clockStart.flatMap(TimeArgument.parse) {
                        let speed = clockSpeed
                        let real = ContinuousClock.now
                        job.clock = { s &+ UInt32(elapsed(since: real) * speed) }
                    }
                    job.onEvent = { e, closed in
                        progress.clear()
                        StandardStreams.printLine(json ? EventRendering.json(e) : "\(closed ? "closed" : "opened"): \(e.summary)")
                    }
                    let stop: @Sendable () -> Bool = { interrupted.load(ordering: .relaxed) }
                    installInterruptHandler()
                    return try await job.follow(until: stop)
                } else {
                    return try await job.run()
                }
            }
        } catch {
            display.finish()
            progress.clear()
            throw CLIError("\(error)")
        }
        display.finish()
        progress.clear()
        if !quiet {
            let f = report.fetch
            StandardStreams.printError("blackout: \(f.files.count) files (\(f.downloadedFiles) downloaded), \(f.missing.count) missing, "
                + "\(f.failed.count) failed; \(report.ingested) ingested, \(report.elements) elements")
        }
        if !(follow && json) {
            print(json ? WatchRendering.json(report) : WatchRendering.text(report), terminator: json ? "\n" : "")
        }
        // As `ingest`: damaged input was skipped and reported (and files that failed to download).
        if report.damagedRecords > 0 || report.unreadableFiles > 0 || !report.fetch.failed.isEmpty {
            throw ExitCode(ExitCodes.damagedInput)
        }
    }
}

/// Set by SIGINT or SIGTERM while following: the watch finishes the files in hand and stops.
let interrupted = Atomic<Bool>(false)

func installInterruptHandler() {
    signal(SIGINT) { _ in interrupted.store(true, ordering: .relaxed) }
    signal(SIGTERM) { _ in interrupted.store(true, ordering: .relaxed) }
}

import ArgumentParser
import Connectivity
import MRT
import Outages
import Pipeline
import Registry
import Store

/// `--db PATH|URL`, shared by the commands that read or write the store.
struct DatabaseOption: ParsableArguments {
    @Option(help: ArgumentHelp("The store: a SQLite database file, or a PostgreSQL URL "
                               + "postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=require] (the password may be in PGPASSWORD).",
                               valueName: "path|url"))
    var db: String = StoreLocation.defaultLocation

    func open() throws -> any Store {
        do { return try StoreLocation.open(db) } catch { throw CLIError("\(error)") }
    }

    /// The store as messages name it (a URL without its password).
    var shown: String { StoreLocation.display(db) }
}

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Replay RIB dumps and updates, build the per-country series and detect events into the database.",
        discussion: """
            Files may be given in any order and from several collectors: they are replayed in timestamp order \
            across files. The collector of each file comes from its path (route-views2/..., rrc00/..., \
            routeviews.route-views.jinx.ribs...) or from --collector. A RIB dump sets and re-synchronises the \
            tables of its peers; only peers set by a RIB count for visibility (README "Detection rules").

            Each ingest continues where the last one stopped: the routing tables, baselines and open events are \
            kept in the database with the results, and restored by the next ingest. Give it the next update \
            files; a file older than the stored state is skipped with a warning (--from-scratch starts over). \
            A run's results and state are written in one transaction at its end: an ingest killed at any moment \
            stores nothing, and running it again gives what one clean run gives. Files are recorded by content \
            hash: files stored already are skipped. Damaged records are counted, reported and skipped (exit 3).

            With --webhook URL (or the configuration file's `webhooks`), each event that opens, deepens or \
            closes is POSTed to the URL as JSON, queued in the database in the ingest's transaction and sent \
            in the background, with retries; what is not delivered when the ingest ends is sent by the next \
            run with webhooks (see `blackout alerts`).

            Example: blackout ingest --registry registry/ rib.20141222.0000.bz2 updates.20141222.00*.bz2
                     blackout ingest --registry registry/ updates.20141222.01*.bz2      (continues)
            """
    )

    @OptionGroup var database: DatabaseOption

    @Option(help: ArgumentHelp("Directory of RIR statistics files (see `blackout registry update`).", valueName: "dir"))
    var registry: String

    @OptionGroup var detection: DetectorArguments

    @Option(help: "The collector of every file, instead of reading it from the paths.")
    var collector: String?

    @Flag(help: "Forget the stored state, bins, events and files, and start over.")
    var fromScratch = false

    @Flag(name: .shortAndLong, help: "No progress line and no per-record warnings.")
    var quiet = false

    @OptionGroup var webhooks: WebhookArguments

    @Argument(help: "MRT files (plain, .gz, .bz2).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one MRT file.") }
    }

    func run() async throws {
        let store = try database.open()
        // Deliveries left by earlier runs are sent too, even when there is nothing to ingest.
        try await webhooks.run(store: store, db: database.db, quiet: quiet) { try ingest(into: store) }
    }

    private func ingest(into store: any Store) throws {
        var options = IngestOptions(registryDirectory: registry, collector: collector)
        options.detector = detection.detectorOptions
        options.fromScratch = fromScratch
        let pipeline = IngestPipeline(store: store, options: options)
        let quiet = quiet
        pipeline.onWarning = { if !quiet { StandardStreams.printError("blackout: warning: \($0)") } }
        let progress = Progress(enabled: !quiet && StandardStreams.stderrIsTerminal)
        let started = ContinuousClock.now
        pipeline.onProgress = { p in
            progress.update(line: "files \(p.filesDone)/\(p.files)  \(p.elements) elements  "
                            + "\(Int(Double(p.elements) / max(elapsed(since: started), 1e-9))) elements/s  at \(utcMinute(p.reached)) UTC",
                            since: started)
        }
        let report: IngestReport
        do { report = try pipeline.run(files: files) } catch { progress.clear(); throw CLIError("\(error)") }
        progress.clear()
        if report.nothingToDo {
            StandardStreams.printError("blackout: nothing to do: \(report.skipped.count) file\(report.skipped.count == 1 ? "" : "s") skipped")
            return
        }
        let outages = report.events.filter { $0.kind == .outage }.count
        var line = "blackout: \(report.ingested.count) files, \(report.elements) elements in \(String(format: report.seconds)) s "
            + "(\(Int(Double(report.elements) / max(report.seconds, 1e-9))) elements/s), \(report.routes) routes"
            + (report.routes > 0 ? " (\(report.stateBytes / report.routes) bytes each)" : "")
            + ", \(report.bins) bins, \(outages) outage and \(report.events.count - outages) instability events changed"
            + ", \(report.openEvents) open"
        if let r = report.restored { line += "; state restored (\(r.bytes >> 20) MiB in \(String(format: r.seconds)) s)" }
        line += "; state saved (\(report.checkpoint.bytes >> 20) MiB in \(String(format: report.checkpoint.seconds)) s)"
        if report.census.countries > 0 {
            line += "; census of \(report.census.countries) countries in \(String(format: report.census.seconds)) s"
        }
        StandardStreams.printError(line)
        print(EventRendering.text(report.events), terminator: "")
        if report.damagedRecords > 0 || !report.failed.isEmpty { throw ExitCode(ExitCodes.damagedInput) }
    }
}

extension String {
    /// Seconds with three decimals.
    init(format seconds: Double) {
        let ms = Int((seconds * 1000).rounded())
        self = "\(ms / 1000).\(String(ms % 1000 + 1000).dropFirst())"
    }
}

/// Bin widths as users write them.
enum BinWidth {
    /// Seconds, plain or with a unit (s, m, h, d); nil when malformed, zero, or more seconds
    /// than a UInt32 holds (such as 50000d). The commands check their own ranges.
    static func parse(_ text: String, allowZero: Bool = false) -> UInt32? {
        if let s = UInt32(text) { return s > 0 || allowZero ? s : nil }
        guard let unit = text.last, let n = UInt32(text.dropLast()), n > 0 || allowZero else { return nil }
        let scale: UInt32
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        default: return nil
        }
        let (seconds, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : seconds
    }
}

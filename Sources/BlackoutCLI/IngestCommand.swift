import ArgumentParser
import Connectivity
import MRT
import Outages
import Pipeline
import Registry
import Store

/// `--db PATH`, shared by the commands that read or write the store.
struct DatabaseOption: ParsableArguments {
    @Option(help: ArgumentHelp("The SQLite database.", valueName: "path"))
    var db: String = SQLiteStore.defaultPath

    func open() throws -> SQLiteStore {
        do { return try SQLiteStore(path: db) } catch { throw CLIError("\(error)") }
    }
}

struct IngestCommand: ParsableCommand {
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

            Example: blackout ingest --registry registry/ rib.20141222.0000.bz2 updates.20141222.00*.bz2
                     blackout ingest --registry registry/ updates.20141222.01*.bz2      (continues)
            """
    )

    @OptionGroup var database: DatabaseOption

    @Option(help: ArgumentHelp("Directory of RIR statistics files (see `blackout registry update`).", valueName: "dir"))
    var registry: String

    @Option(help: "The collector of every file, instead of reading it from the paths.")
    var collector: String?

    @Option(help: ArgumentHelp("Bin width: 5m (default), 1m, 15m, 1h, or seconds.", valueName: "width"))
    var bin: String = "5m"

    @Option(help: ArgumentHelp("Outage: visible prefixes below this fraction of the baseline.", valueName: "fraction"))
    var outageThreshold = 0.8

    @Option(help: ArgumentHelp("The baseline is the median of this many hours of normal bins before.", valueName: "hours"))
    var baselineHours = 24.0

    @Option(help: ArgumentHelp("Instability: prefixes that flap or change path in a bin above this multiple of their baseline...", valueName: "factor"))
    var instabilityFactor = 5.0

    @Option(help: ArgumentHelp("... and at least this many (and a tenth of a country's prefixes, half of an origin AS's)...", valueName: "count"))
    var instabilityMinimum = 2.0

    @Option(help: ArgumentHelp("... for this many bins for a country (twice as long for an origin AS).", valueName: "bins"))
    var instabilityBins = 3

    @Option(help: ArgumentHelp("A prefix counts when more than this share of the full-feed peers carried it in its baseline.", valueName: "share"))
    var visibility = 0.5

    @Option(help: ArgumentHelp("A peer is full-feed with at least this share of the largest peer's IPv4 prefixes.", valueName: "share"))
    var fullFeed = 0.8

    @Option(help: ArgumentHelp("A counted prefix stays visible while this share of the peers that carried it in its baseline still do.", valueName: "share"))
    var retained = 0.5

    @Option(help: ArgumentHelp("A country's outage is reported once it has lasted this long (or at once when complete).", valueName: "duration"))
    var outageDuration = "15m"

    @Option(help: ArgumentHelp("Origin AS outage: visible prefixes below this fraction of the baseline.", valueName: "fraction"))
    var asnOutageThreshold = 0.5

    @Option(help: ArgumentHelp("An origin AS's outage is reported once it has lasted this long (or at once when complete).", valueName: "duration"))
    var asnOutageDuration = "30m"

    @Option(help: ArgumentHelp("Origin ASes with fewer prefixes in their baseline are not judged.", valueName: "count"))
    var asnMinimumPrefixes = 3

    @Option(help: ArgumentHelp("A collector silent this long is a gap for its peers.", valueName: "duration"))
    var silence = "30m"

    @Flag(help: "Forget the stored state, bins, events and files, and start over.")
    var fromScratch = false

    @Flag(name: .shortAndLong, help: "No progress line and no per-record warnings.")
    var quiet = false

    @Argument(help: "MRT files (plain, .gz, .bz2).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one MRT file.") }
        // Each bound is written so that NaN fails it and infinities are outside.
        let width = BinWidth.parse(bin)
        try requireFlag("--bin", "'\(bin)'", in: "60 s...1 day (such as 1m, 5m, 15m, 1h or a number of seconds)",
                        width.map { $0 >= 60 && $0 <= 86_400 } ?? false)
        try requireFlag("--outage-threshold", outageThreshold, in: "(0, 1) (a fraction of the baseline)",
                        outageThreshold > 0 && outageThreshold < 1)
        try requireFlag("--baseline-hours", baselineHours, in: "(0, 720] (up to 30 days)", baselineHours > 0 && baselineHours <= 720)
        try requireFlag("--instability-factor", instabilityFactor, in: "(1, 1000]", instabilityFactor > 1 && instabilityFactor <= 1000)
        try requireFlag("--instability-minimum", instabilityMinimum, in: "[0, 1000000] (prefixes per bin)",
                        instabilityMinimum >= 0 && instabilityMinimum <= 1_000_000)
        try requireFlag("--instability-bins", instabilityBins, in: "[1, 1000] (consecutive bins)", instabilityBins >= 1 && instabilityBins <= 1000)
        try requireFlag("--visibility", visibility, in: "[0, 1) (a share of the full-feed peers)", visibility >= 0 && visibility < 1)
        try requireFlag("--full-feed", fullFeed, in: "(0, 1] (a share of the largest peer's prefixes)", fullFeed > 0 && fullFeed <= 1)
        try requireFlag("--retained", retained, in: "(0, 1] (a share of the prefix's baseline carriers)", retained > 0 && retained <= 1)
        try requireFlag("--asn-outage-threshold", asnOutageThreshold, in: "(0, 1)", asnOutageThreshold > 0 && asnOutageThreshold < 1)
        try requireFlag("--asn-minimum-prefixes", asnMinimumPrefixes, in: "[1, 1000000]", asnMinimumPrefixes >= 1 && asnMinimumPrefixes <= 1_000_000)
        for (flag, text) in [("--outage-duration", outageDuration), ("--asn-outage-duration", asnOutageDuration)] {
            try requireFlag(flag, "'\(text)'", in: "0...7d (such as 0, 15m, 1h)", BinWidth.parse(text, allowZero: true).map { $0 <= 7 * 86_400 } ?? false)
        }
        try requireFlag("--silence", "'\(silence)'", in: "5m...7d (such as 30m, 2h)",
                        BinWidth.parse(silence).map { $0 >= 300 && $0 <= 7 * 86_400 } ?? false)
    }

    /// The detection rules these flags ask for.
    var detectorOptions: DetectorOptions {
        var o = DetectorOptions()
        o.binSeconds = BinWidth.parse(bin)!
        o.baselineSeconds = UInt32(baselineHours * 3600)
        o.rule = VisibilityRule(fullFeedShare: fullFeed, visibilityShare: visibility, retainedShare: retained)
        o.countries.outageThreshold = outageThreshold
        o.countries.outageDuration = BinWidth.parse(outageDuration, allowZero: true)!
        o.originASes.outageThreshold = asnOutageThreshold
        o.originASes.outageDuration = BinWidth.parse(asnOutageDuration, allowZero: true)!
        o.originASes.minimumPrefixes = asnMinimumPrefixes
        o.silenceSeconds = BinWidth.parse(silence, allowZero: true)!
        for k in [\DetectorOptions.countries, \DetectorOptions.originASes] {
            o[keyPath: k].instabilityFactor = instabilityFactor
            o[keyPath: k].instabilityMinimum = Int(instabilityMinimum)
        }
        o.countries.instabilityDuration = UInt32(instabilityBins) * o.binSeconds
        o.originASes.instabilityDuration = 2 * o.countries.instabilityDuration
        return o
    }

    func run() throws {
        var options = IngestOptions(registryDirectory: registry, collector: collector)
        options.detector = detectorOptions
        options.fromScratch = fromScratch
        let pipeline = IngestPipeline(store: try database.open(), options: options)
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
        line += "; state saved (\(report.checkpoint.bytes >> 20) MiB)"
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

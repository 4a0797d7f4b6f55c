import ArgumentParser
import MRT
import Outages
import Registry
import Routing
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
            tables of its peers; only peers set by a RIB count as full-feed peers for visibility.

            The results of a run are written in one transaction at its end: an ingest that is killed stores \
            nothing, and running it again gives the database a clean run gives. Files are recorded by content \
            hash: ingesting files that are all stored already changes nothing. Damaged records are counted, \
            reported and skipped (exit status 3).

            Example: blackout ingest --db kp.sqlite --registry registry/ rib.20141222.0000.bz2 updates.20141222.*.bz2
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

    @Option(help: ArgumentHelp("Instability: churn above this multiple of its baseline...", valueName: "factor"))
    var instabilityFactor = 5.0

    @Option(help: ArgumentHelp("... and above this many events per bin...", valueName: "count"))
    var instabilityMinimum = 20.0

    @Option(help: ArgumentHelp("... for this many consecutive bins.", valueName: "bins"))
    var instabilityBins = 3

    @Option(help: ArgumentHelp("A prefix is visible when more than this share of the full-feed peers carry it.", valueName: "share"))
    var visibility = 0.5

    @Option(help: ArgumentHelp("A peer is full-feed with at least this share of the largest peer's IPv4 prefixes.", valueName: "share"))
    var fullFeed = 0.8

    @Flag(name: .shortAndLong, help: "No progress line and no per-record warnings.")
    var quiet = false

    @Argument(help: "MRT files (plain, .gz, .bz2).")
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one MRT file.") }
        if BinWidth.parse(bin) == nil { throw ValidationError("--bin: expected 1m, 5m, 15m, 1h or a number of seconds.") }
        if !(0 < outageThreshold && outageThreshold < 1) { throw ValidationError("--outage-threshold is a fraction in (0, 1).") }
        if !(baselineHours > 0) { throw ValidationError("--baseline-hours must be positive.") }
        if !(instabilityFactor > 1) || !(instabilityMinimum >= 0) || instabilityBins < 1 {
            throw ValidationError("--instability-factor > 1, --instability-minimum >= 0, --instability-bins >= 1.")
        }
        if !(0..<1).contains(visibility) { throw ValidationError("--visibility is a share in [0, 1).") }
        if !(0 < fullFeed && fullFeed <= 1) { throw ValidationError("--full-feed is a share in (0, 1].") }
    }

    func run() throws {
        let started = ContinuousClock.now
        var hashes: [String] = []
        for path in files {
            do { hashes.append(try contentHash(ofFile: path)) } catch { throw CLIError("\(error)") }
        }
        let store = try database.open()
        let known: Set<String>
        do { known = try store.knownFiles(hashes) } catch { throw CLIError("\(error)") }
        if Set(hashes).isSubset(of: known) {
            StandardStreams.printError("blackout: all \(files.count) files are already in \(database.db); nothing to do")
            return
        }
        var options = DetectorOptions()
        options.binSeconds = BinWidth.parse(bin)!
        options.outageThreshold = outageThreshold
        options.baselineBins = max(1, Int(baselineHours * 3600 / Double(options.binSeconds)))
        options.minimumHistory = min(options.minimumHistory, options.baselineBins)
        options.instabilityFactor = instabilityFactor
        options.instabilityMinimum = instabilityMinimum
        options.instabilityBins = instabilityBins
        let registryDir = registry, quiet = quiet
        let monitor = Monitor(options: options) { time in
            do {
                let db = try RegistryDatabase.load(directory: registryDir, near: time)
                if !quiet, !db.warnings.isEmpty {
                    StandardStreams.printError("blackout: warning: \(db.warnings.count) registry lines skipped (first: \(db.warnings[0]))")
                }
                return db
            } catch {
                throw CLIError("\(error)")
            }
        }
        monitor.visibilityShare = visibility
        monitor.fullFeedShare = fullFeed
        let inputs = files.map { ReplayInput(path: $0, collector: collector) }
        let replay = Replay(inputs)
        var damaged = 0
        var damagedByFile: [String: Int] = [:]
        replay.onDiagnostic = { d in
            guard d.isDamage else { return }
            damaged += 1
            damagedByFile[d.file, default: 0] += 1
            if !quiet, damaged <= 20 { StandardStreams.printError("blackout: warning: \(d)") }
        }
        let progress = Progress(enabled: !quiet && StandardStreams.stderrIsTerminal)
        var filesDone = 0
        var reached: UInt32 = 0
        try replay.run({ e, input in
            try monitor.process(e, collector: input.collector)
            reached = e.timestamp
            if progress.enabled, replay.elements & 0x3FFF == 0 {
                progress.update(line: "files \(filesDone)/\(files.count)  \(replay.elements) elements  "
                                + "\(Int(Double(replay.elements) / elapsed(since: started))) elements/s  at \(utcMinute(reached)) UTC",
                                since: started)
            }
        }, endOfFile: { _ in
            filesDone += 1
            monitor.endOfRIB()
        })
        monitor.finish()
        progress.clear()
        var failed: [String] = []
        for r in replay.reports {
            if let e = r.error {
                failed.append("\(r.path): \(e)")
            } else if r.records == 0 {
                failed.append("\(r.path): no MRT records (empty or not an MRT archive)")
            }
        }
        for f in failed {
            StandardStreams.printError("blackout: warning: \(f); not recorded as ingested")
        }

        var bins: [(CountryCode, CountryBin)] = []
        for (cc, series) in monitor.series { for b in series { bins.append((cc, b)) } }
        var asnBins: [(UInt32, ASNBin)] = []
        for (asn, series) in monitor.asnSeries { for b in series { asnBins.append((asn, b)) } }
        let times = bins.map(\.1.time)
        let result = IngestResult(
            files: zip(replay.reports, hashes).filter { $0.0.error == nil && $0.0.records > 0 }.map { r, h in
                IngestedFile(contentHash: h, path: r.path, collector: inputs.first { $0.path == r.path }!.collector,
                             elements: r.elements, damagedRecords: damagedByFile[r.path] ?? 0)
            },
            bins: bins, asnBins: asnBins, events: monitor.events, from: times.min() ?? 0,
            to: (times.max() ?? 0) + options.binSeconds)
        do { try store.save(result) } catch { throw CLIError("\(error)") }

        let seconds = elapsed(since: started)
        let outages = monitor.events.filter { $0.kind == .outage }
        StandardStreams.printError("blackout: \(files.count) files, \(replay.elements) elements in \(String(format: seconds)) s "
            + "(\(Int(Double(replay.elements) / max(seconds, 1e-9))) elements/s), \(monitor.state.routeCount) routes"
            + (monitor.state.routeCount > 0 ? " (\(monitor.stateBytes / monitor.state.routeCount) bytes each)" : "")
            + ", \(monitor.series.count) countries, "
            + "\(bins.count) country bins, \(asnBins.count) origin AS bins, \(outages.count) outages, "
            + "\(monitor.events.count - outages.count) instability events")
        for e in monitor.events { print(e.summary) }
        if damaged > 0 || !failed.isEmpty { throw ExitCode(ExitCodes.damagedInput) }
    }
}

func elapsed(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
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
    static func parse(_ text: String) -> UInt32? {
        if let s = UInt32(text), s > 0 { return s }
        guard let unit = text.last, let n = UInt32(text.dropLast()), n > 0 else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86_400
        default: return nil
        }
    }
}

import ArgumentParser
import Collectors
import Dispatch
import Outages
import Pipeline
import Registry
import Routing
import Store
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `blackout live`: RIB dumps, then RIPE's RIS Live stream, through the monitor, with events
/// printed as they open and close. A thin shell over `Pipeline.LiveSession`.
struct LiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Watch RIPE RIS collectors live: their RIB dumps, then the RIS Live stream, with events as they happen.",
        discussion: """
            Starts from the stored state (as `blackout ingest` left it, or the last `live`), replays each \
            collector's latest RIB dump and the update files archived after it (fetched from data.ris.ripe.net \
            through the download cache, as `blackout fetch` does; or given with --rib), then \
            subscribes to the collectors' UPDATE and RIS_PEER_STATE messages on RIS Live and applies them as \
            they come. Events are printed as they open and as they close, one line each (--json: one object per \
            line, with the field names of `blackout events --json`); progress and problems go to standard error.

            RIS Live does not replay what a client missed. When the connection drops (or stays silent longer \
            than --silence-timeout), the client reconnects with a back-off (1 s doubling to 60 s) and \
            resubscribes, and the collectors' peers are taken down: a gap in the data, never an outage, until \
            their next RIB dump. A restart that resumes a stored state is the same gap, unless --rib gives \
            dumps newer than the state. While the stream runs, each collector's newest RIB dump is looked \
            for in RIS's archive every 5 minutes (through the download cache, --ris-url, --archive-dir); a newer \
            one is applied, at the stream's time, to the peers that do not count for want of a table, and \
            they count again ("rib: rrc21 bview.20240501.0800.gz applied: 3 peers count again"). Peers in \
            sync are left as the stream has them, and a dump older than the gap is passed over. The state, bins and events are checkpointed every --checkpoint-bins \
            closed bins, every 10 minutes, and on SIGINT or SIGTERM; a second signal exits at once. Malformed \
            messages are counted and the first few reported (exit status 3 once stopped, as for damaged files).

            The collectors are --collector, or those of the --rib files. The detection rules are those of \
            `blackout ingest` and must match the stored state's.

            With --webhook URL (or the configuration file's `webhooks`), each event that opens, deepens or \
            closes is POSTed to the URL as JSON (see `blackout ingest`, `blackout alerts`).

            Example:
              blackout live --collector rrc21,rrc00
              blackout live --collector rrc21 --rib rrc21/2024.05/bview.20240501.0800.gz --registry registry/
              blackout live --json --rib bview.20240501.0800.gz ris.rrc00.bview.20240501.0800.gz | jq .summary
            """
    )

    @Option(name: .customLong("collector"), parsing: .upToNextOption, help: ArgumentHelp(
        "RIS collectors to subscribe to: rrc00 ... rrc26 (repeat, or a comma list; default: those of the --rib files).",
        valueName: "rrcNN"))
    var collectors: [String] = []

    @OptionGroup var database: DatabaseOption

    @Option(help: ArgumentHelp("Directory of RIR statistics files (see `blackout registry update`).", valueName: "dir"))
    var registry: String = RegistryUpdate.defaultDirectory

    @Option(help: ArgumentHelp("The RIS Live WebSocket endpoint.", valueName: "url"))
    var url: String = RISLiveConfiguration.defaultURL

    @Option(parsing: .upToNextOption, help: ArgumentHelp(
        "The collectors' latest RIB dumps (MRT: bview.*.gz, plain or compressed), replayed before the stream.", valueName: "file"))
    var rib: [String] = []

    @OptionGroup var archives: ArchiveSourceOptions

    @OptionGroup var detection: DetectorArguments

    @Option(help: ArgumentHelp("Write a checkpoint after this many closed bins (and at least every 10 minutes).", valueName: "bins"))
    var checkpointBins = 6

    @Option(help: ArgumentHelp("Restart a connection silent this long (nothing but pongs).", valueName: "duration"))
    var silenceTimeout = "2m"

    @Option(help: ArgumentHelp("Send a ping this often.", valueName: "duration"))
    var pingInterval = "30s"

    @Option(help: .hidden)
    var maximumBackoff = "60s"

    /// The time whose latest dumps are fetched, instead of now (for replaying a past stream);
    /// the newer dumps looked for while the stream runs are those of this time plus the time
    /// elapsed since the start.
    @Option(help: .hidden)
    var now: String?

    /// How often the collectors' newer RIB dumps are looked for while the stream runs.
    @Option(help: .hidden)
    var ribPoll = "5m"

    @Flag(help: "Print each event as a JSON object on one line.")
    var json = false

    @Flag(help: "Forget the stored state, bins, events and files, and start over.")
    var fromScratch = false

    @Flag(name: .shortAndLong, help: "Only events, warnings and errors: no connection and checkpoint lines.")
    var quiet = false

    @OptionGroup var webhooks: WebhookArguments

    func validate() throws {
        _ = try subscribed()
        try requireFlag("--checkpoint-bins", checkpointBins, in: "[1, 10000]", checkpointBins >= 1 && checkpointBins <= 10_000)
        for (flag, text) in [("--silence-timeout", silenceTimeout), ("--ping-interval", pingInterval), ("--maximum-backoff", maximumBackoff),
                             ("--rib-poll", ribPoll)] {
            try requireFlag(flag, "'\(text)'", in: "1s...1d (such as 30s, 2m)", BinWidth.parse(text).map { $0 <= 86_400 } ?? false)
        }
        if !(url.hasPrefix("ws://") || url.hasPrefix("wss://")) {
            throw ValidationError("--url must be a ws:// or wss:// URL; got '\(url)'.")
        }
        if let now, TimeArgument.parse(now) == nil { throw ValidationError("--now: not a time.") }
        if rib.isEmpty && collectors.isEmpty {
            throw ValidationError("Give the collectors with --collector rrcNN (their latest RIB dumps are fetched), or their dumps with --rib.")
        }
    }

    /// The collectors: `--collector` (`rrc21`, `rrc21.ripe.net`, comma lists), else the RIS
    /// collectors the --rib paths name.
    func subscribed() throws -> [String] {
        var names = collectors.flatMap { $0.split(separator: ",").map { RISLiveMessage.collectorName(host: String($0)) } }
        if names.isEmpty { names = rib.map { collectorName(forPath: $0) }.filter(Self.isRIS) }
        for n in names where CollectorCatalog.collector(named: n)?.project != .ris {
            throw ValidationError("--collector must name RIS collectors (rrc00 ... rrc26); got '\(n)'.")
        }
        if names.isEmpty && !rib.isEmpty {
            throw ValidationError("The --rib paths name no RIS collector (rrcNN): give --collector.")
        }
        var seen: Set<String> = []
        return names.filter { seen.insert($0).inserted }
    }

    static func isRIS(_ name: String) -> Bool { CollectorCatalog.collector(named: name)?.project == .ris }

    /// Without --rib: each collector's latest RIB dump and the update files archived since, from
    /// RIS's archive (or --archive-dir) through the download cache, so that the stream starts
    /// from tables as close to now as the archive has them.
    func latestArchives(_ names: [String]) async throws -> [String] {
        let list = try names.map { try CollectorCatalog.require($0) }
        let now = self.now.flatMap(TimeArgument.parse) ?? UInt32(clamping: time(nil))
        let fetcher = ArchiveFetcher(source: archives.source)
        let display = DownloadDisplay(quiet: quiet)
        do {
            let report = try await fetcher.fetch(collectors: list, from: now, to: now, selection: .all) { display.handle($0) }
            display.finish()
            await fetcher.shutdown()
            return report.files.map(\.path)
        } catch {
            display.finish()
            await fetcher.shutdown()
            throw CLIError("\(error)")
        }
    }

    func run() async throws {
        var client = RISLiveConfiguration(url: url, collectors: try subscribed())
        client.silenceTimeout = .seconds(Int(BinWidth.parse(silenceTimeout)!))
        client.pingInterval = .seconds(Int(BinWidth.parse(pingInterval)!))
        client.maximumBackoff = .seconds(Int(BinWidth.parse(maximumBackoff)!))
        var options = LiveOptions(registryDirectory: registry, client: client)
        options.detector = detection.detectorOptions
        options.checkpointBins = checkpointBins
        options.fromScratch = fromScratch
        var refresh = RIBRefreshOptions(source: archives.source)
        refresh.interval = .seconds(Int(BinWidth.parse(ribPoll)!))
        if let start = now.flatMap(TimeArgument.parse) {
            let started = ContinuousClock.now
            refresh.clock = { start &+ UInt32(clamping: (ContinuousClock.now - started).components.seconds) }
        }
        options.ribRefresh = refresh
        let display = LiveDisplay(json: json, quiet: quiet, url: url)
        let files = rib.isEmpty ? try await latestArchives(try subscribed()) : rib
        let db = database.db
        let alerting = try webhooks.alerting(quiet: quiet)
        let task = Task.detached { () async throws -> LiveReport in
            let store: any Store
            do { store = try StoreLocation.open(db) } catch { throw CLIError("\(error)") }
            return try await alerting.run(store: store, db: db) {
                let session = try LiveSession(store: store, options: options, onUpdate: display.show)
                return try await session.run(files: files)
            }
        }
        let signals = SignalWatch([SIGINT, SIGTERM]) { task.cancel() }
        defer { signals.stop() }
        let report: LiveReport
        do { report = try await task.value } catch let e as CLIError { throw e } catch { throw CLIError("\(error)") }
        display.summary(report)
        if report.malformed > 0 || report.damagedRecords > 0 { throw ExitCode(ExitCodes.damagedInput) }
    }
}

/// How `live` shows a session's updates: events on standard output (written at once, not
/// buffered, so that a pipe sees each as it happens), the rest on standard error.
struct LiveDisplay: Sendable {
    let json: Bool
    let quiet: Bool
    let url: String

    func show(_ update: LiveUpdate) {
        switch update {
        case .opened(let e), .closed(let e):
            out(json ? EventRendering.json(e) : e.summary)
        case .restored(let bytes, let seconds, let time):
            note("state restored (\(bytes >> 20) MiB in \(String(format: seconds)) s), at \(utcMinute(time)) UTC")
        case .replayed(let files, let elements, let skipped):
            note("replayed \(files) file\(files == 1 ? "" : "s") (\(elements) elements)" + (skipped > 0 ? ", \(skipped) skipped" : ""))
        case .connected(let attempt):
            note(attempt == 1 ? "connected to \(url)" : "reconnected to \(url) (connection \(attempt))")
        case .disconnected(let reason, let retryIn):
            err("disconnected: \(reason); reconnecting in \(String(format: Double(retryIn.components.seconds) + Double(retryIn.components.attoseconds) / 1e18)) s")
        case .gap(let collectors, let peers, let time, let cause):
            err("gap: \(collectors.joined(separator: ", ")) (\(peers) peer\(peers == 1 ? "" : "s")) from \(utcMinute(time)) UTC: "
                + (cause == .restart ? "not followed while stopped" : "messages lost while disconnected")
                + "; the peers count again once a RIB dump lists them")
        case .ribApplied(let collector, let file, let dumpTime, let time, let peers):
            err("rib: \(collector) \(file) applied: \(peers) peer\(peers == 1 ? " counts" : "s count") again "
                + "(dump of \(utcMinute(dumpTime)) UTC, applied at \(utcMinute(time)) UTC to the peers out of sync)")
        case .malformed(let line, let reason, let count):
            err("malformed message \(count): \(reason): \(line)")
        case .serverError(let text):
            err("RIS Live error: \(text)")
        case .checkpoint(let time, let bytes, let seconds):
            note("checkpoint: state at \(utcMinute(time)) UTC (\(bytes >> 20) MiB in \(String(format: seconds)) s)")
        case .warning(let text):
            err("warning: \(text)")
        }
    }

    func summary(_ r: LiveReport) {
        StandardStreams.printError("blackout: live: \(r.messages) messages (\(r.malformed) malformed), \(r.elements) elements, "
                                   + "\(r.bins) bins, \(r.eventsOpened) events opened and \(r.eventsClosed) closed, "
                                   + "\(r.connections) connection\(r.connections == 1 ? "" : "s"), \(r.gaps) gap\(r.gaps == 1 ? "" : "s"); "
                                   + "state saved at \(utcMinute(r.reached)) UTC")
    }

    private func out(_ line: String) {
        var text = line + "\n"
        text.withUTF8 { _ = StandardStreams.write($0, to: 1) }
    }

    private func note(_ line: String) { if !quiet { StandardStreams.printError("blackout: " + line) } }
    private func err(_ line: String) { StandardStreams.printError("blackout: " + line) }
}

/// Runs `handler` on SIGINT or SIGTERM (once; a second signal exits at once with 130).
final class SignalWatch: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    /// Signals are handled one at a time on this queue, which alone touches `fired`.
    private let queue = DispatchQueue(label: "blackout.signals")
    private var fired = false

    init(_ signals: [Int32], handler: @escaping @Sendable () -> Void) {
        for s in signals {
            signal(s, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: s, queue: queue)
            source.setEventHandler { [unowned self] in
                if fired { _exit(130) }
                fired = true
                handler()
            }
            source.resume()
            sources.append(source)
        }
    }

    func stop() { for s in sources { s.cancel() } }
}

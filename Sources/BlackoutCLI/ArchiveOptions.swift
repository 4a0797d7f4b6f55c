import ArgumentParser
import Collectors
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Where archives come from, shared by `fetch`, `watch` and `live`.
struct ArchiveSourceOptions: ParsableArguments {
    @Option(name: .customLong("routeviews-url"), help: ArgumentHelp("RouteViews' base URL (a mirror).", valueName: "url"))
    var routeViewsURL = CollectorProject.routeViews.defaultBaseURL

    @Option(name: .customLong("ris-url"), help: ArgumentHelp("RIPE RIS's base URL (a mirror).", valueName: "url"))
    var risURL = CollectorProject.ris.defaultBaseURL

    @Option(name: .customLong("archive-dir"), help: ArgumentHelp(
        "Read the projects' layout from this directory instead of downloading.", valueName: "dir"))
    var archiveDir: String?

    @Option(help: ArgumentHelp("Where downloads are kept, and looked for first.", valueName: "dir"))
    var dest: String = ArchiveSource.defaultCacheDirectory

    @Option(help: ArgumentHelp("Downloads at once.", valueName: "n"))
    var concurrency = 4

    @Option(help: ArgumentHelp("Seconds a server may stay silent before it is asked again.", valueName: "seconds"))
    var timeout = 30.0

    @Option(help: ArgumentHelp("Tries per file, with doubling pauses between them.", valueName: "n"))
    var attempts = 4

    @Option(name: .customLong("retry-pause"), help: ArgumentHelp("Seconds before the second try.", valueName: "seconds"))
    var retryPause = 1.0

    func validate() throws {
        for (flag, url) in [("--routeviews-url", routeViewsURL), ("--ris-url", risURL)]
        where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw ValidationError("\(flag) must start with http:// or https://; got '\(url)'.")
        }
        try requireFlag("--concurrency", concurrency, in: "1...64", (1...64).contains(concurrency))
        try requireFlag("--timeout", timeout, in: "0.1...3600 seconds", timeout >= 0.1 && timeout <= 3600)
        try requireFlag("--attempts", attempts, in: "1...20", (1...20).contains(attempts))
        try requireFlag("--retry-pause", retryPause, in: "0...600 seconds", retryPause >= 0 && retryPause <= 600)
    }

    var source: ArchiveSource {
        var s = ArchiveSource()
        s.routeViewsURL = routeViewsURL
        s.risURL = risURL
        s.archiveDirectory = archiveDir
        s.cacheDirectory = dest
        s.download.concurrency = concurrency
        s.download.readTimeout = timeout
        s.download.connectTimeout = min(timeout, 10)
        s.download.attempts = attempts
        s.download.backoff = retryPause
        return s
    }
}

/// `--collector NAME...` and `--from`, shared by `fetch` and `watch` (each has its own `--to`).
struct CollectorSelection: ParsableArguments {
    @Option(name: .customLong("collector"), parsing: .upToNextOption, help: ArgumentHelp(
        "Collectors: route-views2 ... route-views8, route-views.NAME, rrc00 ... rrc26 (repeat, or a comma list).", valueName: "name"))
    var names: [String] = []

    @Option(help: ArgumentHelp("Start: ISO 8601 (2014-12-22T16:15Z) or Unix seconds, UTC.", valueName: "time"))
    var from: String

    func validate() throws {
        _ = try CollectorArguments.collectors(names)
    }

    var collectors: [Collector] { get throws { try CollectorArguments.collectors(names) } }
    var start: UInt32 { get throws { try CollectorArguments.time(from, flag: "--from") } }
}

/// `--collector NAME...` resolved against the catalog, and `--from`/`--to` as Unix seconds.
enum CollectorArguments {
    static func collectors(_ names: [String]) throws -> [Collector] {
        guard !names.isEmpty else { throw ValidationError("give at least one --collector (route-views2, rrc00, ...).") }
        var out: [Collector] = []
        for n in names.flatMap({ $0.split(separator: ",").map(String.init) }) {
            do { out.append(try CollectorCatalog.require(n)) } catch { throw ValidationError("\(error)") }
        }
        return out
    }

    static func time(_ text: String, flag: String) throws -> UInt32 {
        guard let t = TimeArgument.parse(text) else {
            throw ValidationError("\(flag) '\(text)' is not a time: expected ISO 8601 (2014-12-22T16:15Z) or Unix seconds.")
        }
        return t
    }
}

/// Draws download progress on a terminal: files done, bytes downloaded; notes missing and
/// failed files as they happen. Events come from the download tasks: one lock serialises them.
final class DownloadDisplay: Sendable {
    private struct State {
        var progress: Progress
        var planned = 0
        var done = 0
        var bytes = 0
        var inFlight: [String: Int] = [:]
    }
    private let state: Mutex<State>
    private let start = ContinuousClock.now
    let quiet: Bool

    init(quiet: Bool) {
        self.quiet = quiet
        state = Mutex(State(progress: Progress(enabled: !quiet && isatty(2) != 0)))
    }

    func handle(_ event: ArchiveFetcher.Event) {
        state.withLock { s in
            switch event {
            case .planned(let n): s.planned = n
            case .fetched(let f):
                s.done += 1
                s.inFlight[f.path] = nil
            case .missing(let m):
                s.progress.clear()
                if !quiet { StandardStreams.printError("blackout: \(m.location): missing (normal in these archives); going on") }
            case .failed(let f, let e):
                s.progress.clear()
                StandardStreams.printError("blackout: warning: \(f): \(e)")
            case .bytes(let p):
                s.bytes += p.bytes - (s.inFlight[p.url] ?? 0)
                s.inFlight[p.url] = p.bytes
            }
            s.progress.update(line: "fetched \(s.done)/\(max(s.planned, s.done)) files  \(s.bytes >> 20) MiB downloaded", since: start)
        }
    }

    func finish() { state.withLock { $0.progress.clear() } }
}

import MRT
import Outages
import Registry
import Routing
import Store

/// What an ingest is asked to do.
public struct IngestOptions: Sendable {
    /// Directory of RIR statistics files (and AS names, geolocation).
    public var registryDirectory: String
    /// The collector of every file, instead of reading it from the paths.
    public var collector: String?
    public var detector = DetectorOptions()
    /// Forget the stored state, bins and events, and start over.
    public var fromScratch = false
    public init(registryDirectory: String, collector: String? = nil) {
        self.registryDirectory = registryDirectory
        self.collector = collector
    }
}

/// How far an ingest has come (for a progress line).
public struct IngestProgress: Sendable {
    public var filesDone: Int
    public var files: Int
    public var elements: Int
    /// Time of the latest element replayed.
    public var reached: UInt32
}

/// What an ingest did.
public struct IngestReport: Sendable {
    /// Files read and recorded.
    public var ingested: [IngestedFile] = []
    /// Files not read, with why (already stored, older than the stored state).
    public var skipped: [(path: String, reason: String)] = []
    /// Files that could not be read to their end or held no MRT records: not recorded.
    public var failed: [(path: String, reason: String)] = []
    public var elements = 0
    public var damagedRecords = 0
    public var bins = 0
    /// Events opened, changed or closed.
    public var events: [Event] = []
    /// Events still open after this ingest.
    public var openEvents = 0
    public var routes = 0
    public var stateBytes = 0
    /// The state restored from the store (bytes, seconds), if there was one.
    public var restored: (bytes: Int, seconds: Double)?
    /// The checkpoint written (bytes, seconds to build it).
    public var checkpoint: (bytes: Int, seconds: Double) = (0, 0)
    /// The census stored (countries, seconds to take it).
    public var census: (countries: Int, seconds: Double) = (0, 0)
    public var seconds = 0.0
    /// Whether there was nothing to do.
    public var nothingToDo: Bool { ingested.isEmpty && failed.isEmpty }
}

/// Why an ingest stopped.
public enum IngestError: Error, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case store(String)
    case checkpoint(String)
    case registry(String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "\(path): \(reason)"
        case .store(let m): m
        case .checkpoint(let m): m
        case .registry(let m): m
        }
    }
}

/// The ingest: one pipeline for the command line, the server, live feeds and workers.
///
/// It restores the state the last ingest left in the store (routing tables, baselines,
/// open events), replays the new files in time order through the monitor, and writes the
/// closed bins, the changed events and the new state in one transaction: an ingest
/// killed at any moment leaves the store as it was, and the same files ingested in one
/// run or in several consecutive runs give the same bins and events.
public final class IngestPipeline {
    public let store: Store
    public let options: IngestOptions
    /// Warnings (damaged records, skipped files, registry lines), as they happen.
    public var onWarning: (String) -> Void = { _ in }
    /// Called every 16,384 elements.
    public var onProgress: (IngestProgress) -> Void = { _ in }

    public init(store: Store, options: IngestOptions) {
        self.store = store
        self.options = options
    }

    /// Ingests `files`; a file's collector is `collectors[path]`, else `options.collector`, else
    /// read from its path (`collectorName(forPath:)`).
    public func run(files: [String], collectors: [String: String] = [:]) throws -> IngestReport {
        let started = ContinuousClock.now
        var report = IngestReport()
        if options.fromScratch {
            do { try store.clear() } catch { throw IngestError.store("\(error)") }
        }
        let session = try IngestSession(store: store, registryDirectory: options.registryDirectory, detector: options.detector,
                                        onWarning: onWarning)
        let monitor = session.monitor
        report.restored = session.restored
        let selection = try session.select(files: files)
        let todo = selection.todo
        let hashes = selection.hashes
        report.skipped = selection.skipped
        for s in report.skipped { onWarning("\(s.path): \(s.reason); skipped") }
        guard !todo.isEmpty else {
            report.seconds = elapsed(since: started)
            return report
        }

        let inputs = todo.map { ReplayInput(path: $0, collector: collectors[$0] ?? options.collector) }
        let replay = Replay(inputs)
        var damagedByFile: [String: Int] = [:]
        replay.onDiagnostic = { [onWarning] d in
            guard d.isDamage else { return }
            report.damagedRecords += 1
            damagedByFile[d.file, default: 0] += 1
            if report.damagedRecords <= 20 { onWarning("\(d)") }
        }
        var filesDone = 0
        // Bins are written as files end, on the writer's thread, inside the ingest's one
        // transaction; events are kept (their latest version) for the end.
        let saver = BackgroundSave(store: store)
        var binCount = 0
        var events: [Event] = []
        var eventIndex: [String: Int] = [:]
        func takeResults() {
            let (bins, changed) = monitor.takeResults()
            binCount += bins.count
            saver.add(bins)
            for e in changed {
                if let k = eventIndex[e.key] { events[k] = e } else { eventIndex[e.key] = events.count; events.append(e) }
            }
        }
        do {
            try monitor.replay(replay, each: { e in
                if replay.elements & 0x3FFF == 0 {
                    onProgress(IngestProgress(filesDone: filesDone, files: inputs.count, elements: replay.elements, reached: e.timestamp))
                }
            }, fileDone: { _ in
                filesDone += 1
                takeResults()
            })
        } catch let e as IngestError {
            saver.abort()
            throw e
        } catch {
            saver.abort()
            throw IngestError.registry("\(error)")
        }
        report.elements = replay.elements
        for r in replay.reports {
            if let e = r.error {
                report.failed.append((r.path, e))
            } else if r.records == 0 {
                report.failed.append((r.path, "no MRT records (empty or not an MRT archive)"))
            } else {
                report.ingested.append(IngestedFile(contentHash: hashes[r.path]!, path: r.path,
                                                    collector: inputs.first { $0.path == r.path }!.collector,
                                                    elements: r.elements, damagedRecords: damagedByFile[r.path] ?? 0))
            }
        }
        for f in report.failed { onWarning("\(f.path): \(f.reason); not recorded as ingested") }

        takeResults()
        // The checkpoint is written inside the save's transaction; this is the state's last
        // use, so each table is released once written (after the census is taken).
        let result = session.result(files: report.ingested, bins: [], events: events, releasingTables: true)
        report.bins = binCount
        report.events = events
        report.openEvents = monitor.events.count
        report.routes = monitor.state.routeCount
        report.stateBytes = monitor.stateBytes
        do {
            try saver.finish(result)
        } catch {
            throw IngestError.store("\(error)")
        }
        report.checkpoint = session.lastCheckpoint
        report.census = session.lastCensus
        report.seconds = elapsed(since: started)
        return report
    }
}

/// Seconds since `start`.
public func elapsed(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

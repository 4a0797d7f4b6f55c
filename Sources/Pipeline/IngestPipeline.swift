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

    public func run(files: [String]) throws -> IngestReport {
        let started = ContinuousClock.now
        var report = IngestReport()
        if options.fromScratch {
            do { try store.clear() } catch { throw IngestError.store("\(error)") }
        }
        // Files already stored are skipped by content.
        var hashes: [String: String] = [:]
        for path in files {
            do { hashes[path] = try contentHash(ofFile: path) } catch { throw IngestError.unreadable(path: path, reason: "\(error)") }
        }
        let known: Set<String>
        do { known = try store.knownFiles(Array(Set(hashes.values))) } catch { throw IngestError.store("\(error)") }
        var todo: [String] = []
        var seen: Set<String> = []
        for path in files {
            let h = hashes[path]!
            if known.contains(h) {
                report.skipped.append((path, "already ingested"))
            } else if !seen.insert(h).inserted {
                report.skipped.append((path, "same content as another file given"))
            } else {
                todo.append(path)
            }
        }

        let monitor = try restoreMonitor(&report)
        // A file that starts before the bin in progress cannot be replayed into the state
        // (the bins before are closed); one that starts inside it can, so that a collector's
        // file a few seconds behind another's is not lost.
        if let open = monitor.openBin {
            todo = todo.filter { path in
                // A RouteViews archive named after the open bin is not read twice to be sure.
                let opening = Replay.openingTime(path)
                if let o = opening, o.time >= open { return true }
                guard let first = opening?.exact == true ? opening?.time : Replay.firstTime(path), first < open else { return true }
                report.skipped.append((path, "older than the stored state (\(utcMinute(first)) UTC, state at \(utcMinute(monitor.now)) UTC); "
                                       + "use --from-scratch to replay from the start"))
                return false
            }
        }
        for s in report.skipped { onWarning("\(s.path): \(s.reason); skipped") }
        guard !todo.isEmpty else {
            report.seconds = elapsed(since: started)
            return report
        }

        let inputs = todo.map { ReplayInput(path: $0, collector: options.collector) }
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
        // The checkpoint is written inside the save's transaction: the routing tables (most of
        // it) in pieces straight from the state, then the rest, which refers to them.
        var written = (bytes: 0, seconds: 0.0)
        let writer = CheckpointWriter { emit in
            let clock = ContinuousClock.now
            var tables = 0
            try withoutActuallyEscaping(emit) { emit in
                // The last use of the tables: each is released once written.
                try monitor.state.writeTables(releasing: true) { raw in
                    tables += raw.count
                    try emit(raw)
                }
            }
            let bytes = monitor.checkpoint()
            written = (tables + bytes.count, elapsed(since: clock))
            return bytes
        }
        report.bins = binCount
        report.events = events
        report.openEvents = monitor.events.count
        report.routes = monitor.state.routeCount
        report.stateBytes = monitor.stateBytes
        do {
            try saver.finish(IngestResult(files: report.ingested, bins: [], events: events,
                                          checkpoint: Checkpoint(time: monitor.now, writer: writer)))
        } catch {
            throw IngestError.store("\(error)")
        }
        report.checkpoint = written
        report.seconds = elapsed(since: started)
        return report
    }

    /// The monitor as the last ingest left it, or a new one.
    private func restoreMonitor(_ report: inout IngestReport) throws -> Monitor {
        let load = registryLoader()
        let stored: Checkpoint?
        do { stored = try store.checkpoint() } catch { throw IngestError.store("\(error)") }
        guard let stored else { return Monitor(options: options.detector, registry: load) }
        let clock = ContinuousClock.now
        do {
            // The routing tables stored beside the checkpoint are read one piece at a time.
            let pieces = stored.pieces
            var size = stored.bytes.count
            let m = try RoutingState.$storedTablesSource.withValue(ChunkSource {
                let piece = try pieces?()
                size += piece?.count ?? 0
                return piece
            }) {
                try Monitor.restore(stored.bytes, options: options.detector, registry: load)
            }
            report.restored = (size, elapsed(since: clock))
            return m
        } catch let e as CheckpointRulesMismatch {
            throw IngestError.checkpoint("\(e)")
        } catch let e as CheckpointError {
            throw IngestError.checkpoint("the stored state cannot be read (\(e)); --from-scratch starts over")
        } catch let e as StoreError {
            throw IngestError.store("\(e)")
        } catch {
            throw IngestError.registry("\(error)")
        }
    }

    private func registryLoader() -> (UInt32) throws -> RegistryDatabase {
        let dir = options.registryDirectory
        let warn = onWarning
        return { time in
            do {
                let db = try RegistryDatabase.load(directory: dir, near: time)
                if let w = db.cacheWarning { warn("\(w)") }
                let lines = db.warnings.filter { "\($0)" != db.cacheWarning.map { "\($0)" } }
                if !lines.isEmpty { warn("\(lines.count) registry lines skipped (first: \(lines[0]))") }
                return db
            } catch {
                throw IngestError.registry("\(error)")
            }
        }
    }
}

/// Seconds since `start`.
public func elapsed(since start: ContinuousClock.Instant) -> Double {
    let d = ContinuousClock.now - start
    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}

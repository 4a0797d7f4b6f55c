import Outages
import Registry
import Routing
import Store

/// The files an ingest replays, and those it skips with why.
public struct FileSelection: Sendable {
    /// In the order given.
    public var todo: [String] = []
    /// Content hash by path, of every file given.
    public var hashes: [String: String] = [:]
    public var skipped: [(path: String, reason: String)] = []
}

/// The monitor as the store holds it, and the way back into the store: what an ingest of
/// files (`IngestPipeline`) and a live feed (`LiveSession`) share.
///
/// It restores the state the last ingest or live session left (routing tables, baselines,
/// open events; a new monitor when there is none) and builds the checkpoint written with
/// the results, so that whichever writes next continues where the other stopped.
public final class IngestSession {
    public let store: Store
    public let registryDirectory: String
    public let detector: DetectorOptions
    public let monitor: Monitor
    /// The state restored from the store (bytes, seconds), if there was one.
    public let restored: (bytes: Int, seconds: Double)?
    /// The last checkpoint built (bytes, seconds to build it).
    public private(set) var lastCheckpoint: (bytes: Int, seconds: Double) = (0, 0)
    /// The last census taken (`result`): countries stored, seconds to take and render it.
    public private(set) var lastCensus: (countries: Int, seconds: Double) = (0, 0)

    /// Restores the monitor from `store`; `onWarning` hears registry warnings (now and
    /// whenever the monitor loads the registry).
    public init(store: Store, registryDirectory: String, detector: DetectorOptions,
                onWarning: @escaping (String) -> Void) throws(IngestError) {
        self.store = store
        self.registryDirectory = registryDirectory
        self.detector = detector
        let load = Self.registryLoader(directory: registryDirectory, onWarning: onWarning)
        let stored: Checkpoint?
        do { stored = try store.checkpoint() } catch { throw IngestError.store("\(error)") }
        guard let stored else {
            monitor = Monitor(options: detector, registry: load)
            restored = nil
            return
        }
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
                try Monitor.restore(stored.bytes, options: detector, registry: load)
            }
            monitor = m
            restored = (size, elapsed(since: clock))
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

    /// Which of `files` to replay into the state, by the rules every ingest follows: a file
    /// whose content is stored already, or given twice, is skipped; so is one that starts
    /// before the bin in progress (the bins before are closed; one that starts inside it
    /// is replayed, so that a collector's file a few seconds behind another's is not lost).
    public func select(files: [String]) throws(IngestError) -> FileSelection {
        var selection = FileSelection()
        for path in files {
            do { selection.hashes[path] = try contentHash(ofFile: path) } catch {
                throw IngestError.unreadable(path: path, reason: "\(error)")
            }
        }
        let known: Set<String>
        do { known = try store.knownFiles(Array(Set(selection.hashes.values))) } catch { throw IngestError.store("\(error)") }
        var seen: Set<String> = []
        for path in files {
            let h = selection.hashes[path]!
            if known.contains(h) {
                selection.skipped.append((path, "already ingested"))
            } else if !seen.insert(h).inserted {
                selection.skipped.append((path, "same content as another file given"))
            } else {
                selection.todo.append(path)
            }
        }
        if let open = monitor.openBin {
            let now = monitor.now
            selection.todo = selection.todo.filter { path in
                // A RouteViews archive named after the open bin is not read twice to be sure.
                let opening = Replay.openingTime(path)
                if let o = opening, o.time >= open { return true }
                guard let first = opening?.exact == true ? opening?.time : Replay.firstTime(path), first < open else { return true }
                selection.skipped.append((path, "older than the stored state (\(utcMinute(first)) UTC, state at \(utcMinute(now)) UTC); "
                                          + "use --from-scratch to replay from the start"))
                return false
            }
        }
        return selection
    }

    /// The checkpoint of the monitor as it is when the store writes it (inside the save's
    /// transaction): the routing tables in pieces straight from the state, then the rest,
    /// which refers to them. `releasingTables` empties each table once written, for the
    /// last checkpoint of a state that is not used again (a file ingest's end); a live
    /// session goes on with its tables and keeps them. Call `monitor.takeResults()` first.
    public func checkpoint(releasingTables: Bool) -> Checkpoint {
        let monitor = monitor
        let writer = CheckpointWriter { [self] emit in
            let clock = ContinuousClock.now
            var tables = 0
            try withoutActuallyEscaping(emit) { emit in
                try monitor.state.writeTables(releasing: releasingTables) { raw in
                    tables += raw.count
                    try emit(raw)
                }
            }
            let bytes = monitor.checkpoint()
            lastCheckpoint = (tables + bytes.count, elapsed(since: clock))
            return bytes
        }
        var c = Checkpoint(time: monitor.now, writer: writer)
        c.routes = monitor.state.routeCount  // counted before the writer can release the tables
        return c
    }

    /// What a save writes: `files`, `bins` and `events`, the state's checkpoint
    /// (`checkpoint(releasingTables:)`) and the census of its routing state now
    /// (`StateCensus`), which replaces the stored one (kept when the monitor has seen no
    /// element yet). The census is taken here, once per save and before the checkpoint can
    /// release the tables. Call `monitor.takeResults()` first.
    public func result(files: [IngestedFile], bins: [(series: SeriesID, bin: SeriesBin)], events: [Event],
                       releasingTables: Bool) -> IngestResult {
        let clock = ContinuousClock.now
        let census = StateCensus.rows(of: monitor)
        lastCensus = (census?.count ?? 0, elapsed(since: clock))
        var result = IngestResult(files: files, bins: bins, events: events, checkpoint: checkpoint(releasingTables: releasingTables))
        result.census = census
        return result
    }

    /// Loads the registry files of `directory` nearest a time (the monitor calls it with
    /// the time of its first element).
    static func registryLoader(directory: String, onWarning: @escaping (String) -> Void) -> (UInt32) throws -> RegistryDatabase {
        { time in
            do {
                let db = try RegistryDatabase.load(directory: directory, near: time)
                if let w = db.cacheWarning { onWarning("\(w)") }
                let lines = db.warnings.filter { "\($0)" != db.cacheWarning.map { "\($0)" } }
                if !lines.isEmpty { onWarning("\(lines.count) registry lines skipped (first: \(lines[0]))") }
                return db
            } catch {
                throw IngestError.registry("\(error)")
            }
        }
    }
}

import Collectors
import MRT
import Outages
import Routing
import Store

/// The live ingest: the stored state, then RIB dumps, then RIPE's RIS Live stream, through
/// the same monitor as `blackout ingest`, with the results and the state checkpointed as it
/// goes so that a restart resumes where it stopped.
///
/// - It restores the state from the store (`IngestSession`, shared with `IngestPipeline`).
/// - When it resumed a stored state, what the streamed collectors sent while it was stopped
///   is lost: their peers' sessions are taken down (a gap in the data, never an outage) and
///   count again once a RIB dump lists them.
/// - It replays the files given (the collectors' latest RIB dumps, optionally the update
///   files after them), by the same rules as an ingest (a file older than the state is
///   skipped), and records them as ingested.
/// - It applies the stream's elements as they come. When the connection drops, the
///   collectors' peers are taken down the same way (`RISLiveEvent.gap`).
/// - Meanwhile (with `options.ribRefresh`) it looks for the collectors' newer RIB dumps and
///   applies each to the peers out of sync, at the stream's time, which brings them back into
///   the count (the rule: `LiveSession+RIBRefresh`); a checkpoint follows.
/// - Every `checkpointBins` closed bins or `checkpointInterval`, and when it ends, it writes
///   the closed bins, the events that changed and the state (its tables kept: the session
///   goes on with them) in one transaction.
///
/// Events are reported as they open and close (`LiveUpdate`); nothing is printed here.
public final class LiveSession {
    public let store: Store
    public let options: LiveOptions
    public let session: IngestSession
    public var monitor: Monitor { session.monitor }
    public private(set) var report = LiveReport()
    /// Hears everything the session does, as it happens.
    public var onUpdate: (LiveUpdate) -> Void

    // Results since the last checkpoint.
    private var pendingBins: [(series: SeriesID, bin: SeriesBin)] = []
    private var pendingEvents: [Event] = []
    private var pendingIndex: [String: Int] = [:]
    private var pendingFiles: [IngestedFile] = []
    /// Keys of the events reported open.
    private var openKeys: Set<String>
    private var lastBin: UInt32?
    private var binsSinceCheckpoint = 0
    private var lastCheckpoint = ContinuousClock.now
    /// The newer RIB dumps applied while the stream runs (`LiveSession+RIBRefresh`).
    var ribs = RIBRefreshState()

    /// Restores the state from `store` (or forgets it, with `options.fromScratch`).
    public init(store: Store, options: LiveOptions, onUpdate: @escaping (LiveUpdate) -> Void = { _ in }) throws(IngestError) {
        self.store = store
        self.options = options
        self.onUpdate = onUpdate
        if options.fromScratch {
            do { try store.clear() } catch { throw IngestError.store("\(error)") }
        }
        session = try IngestSession(store: store, registryDirectory: options.registryDirectory, detector: options.detector,
                                    onWarning: { onUpdate(.warning($0)) })
        openKeys = Set(session.monitor.events.filter { $0.end == nil }.map(\.key))
        lastBin = session.monitor.openBin
        report.reached = session.monitor.now
        if let r = session.restored { onUpdate(.restored(bytes: r.bytes, seconds: r.seconds, time: session.monitor.now)) }
    }

    /// What the session's loop takes, one at a time: the stream's events and the dumps found.
    enum Input: Sendable {
        case stream(RISLiveEvent)
        case rib(RIBLook)
    }

    /// Everything, in order: the gap of a resumed state, the files, then the stream (by
    /// default RIS Live as `options.client` says) until it ends or the calling task is
    /// cancelled (SIGINT), with the newer RIB dumps found meanwhile; then the last checkpoint.
    public func run(files: [String], events: AsyncStream<RISLiveEvent>? = nil) async throws(IngestError) -> LiveReport {
        if session.restored != nil { try markGap(collectors: streamedCollectors, cause: .restart) }
        try replay(files: files)
        noteReplayedRIBs(files)
        try checkpoint()
        let stream = events ?? RISLiveClient(configuration: options.client).events()
        // The stream and the dumps found, merged into one sequence handled on this task.
        let (inputs, continuation) = AsyncStream<Input>.makeStream()
        let pump = Task {
            for await event in stream { continuation.yield(.stream(event)) }
            continuation.finish()
        }
        let looks = startRIBLooks { continuation.yield(.rib($0)) }
        var failure: IngestError?
        for await input in inputs {
            do throws(IngestError) {
                switch input {
                case .stream(let event): try handle(event)
                case .rib(let look): try handle(look)
                }
            } catch {
                failure = error
                break
            }
        }
        pump.cancel()
        looks?.cancel()
        await looks?.value  // it closes its HTTP client
        if let failure { throw failure }
        try checkpoint()
        return report
    }

    /// The collectors the stream carries: those subscribed, or every collector of the state.
    public var streamedCollectors: [String] {
        options.client.collectors.isEmpty ? Array(Set(monitor.state.peers.map(\.collector))).sorted() : options.client.collectors
    }

    /// Applies one event of the stream.
    public func handle(_ event: RISLiveEvent) throws(IngestError) {
        switch event {
        case .connected(let attempt):
            report.connections += 1
            onUpdate(.connected(attempt: attempt))
        case .message(let message):
            report.messages += 1
            try apply(message)
        case .malformed(let line, let reason):
            report.messages += 1
            report.malformed += 1
            if report.malformed <= options.malformedReported { onUpdate(.malformed(line: line, reason: reason, count: report.malformed)) }
        case .disconnected(let reason, let retryIn):
            report.disconnections += 1
            onUpdate(.disconnected(reason, retryIn: retryIn))
        case .gap(let collectors):
            try markGap(collectors: collectors, cause: .disconnection)
        }
    }

    /// Applies one message: its route elements, in order.
    public func apply(_ message: RISLiveMessage) throws(IngestError) {
        switch message {
        case .routes(let collector, let elements):
            for e in elements {
                if let open = monitor.openBin, e.timestamp < open { report.late += 1 }
                try process(e, collector: collector)
                noteForRefresh(e, collector: collector)
            }
            report.elements += elements.count
            afterElements()
        case .serverError(let text):
            report.serverErrors += 1
            onUpdate(.serverError(text))
        case .bgp, .pong, .ping, .other:
            break
        }
    }

    /// Takes down the session of every peer of `collectors` at the state's time: what they
    /// sent is not all known, so their tables are a gap in the data until a RIB dump lists
    /// them again (the monitor's rule for a session leaving Established).
    public func markGap(collectors: [String], cause: LiveUpdate.GapCause) throws(IngestError) {
        let time = monitor.now
        let wanted = Set(collectors)
        let peers = monitor.state.peers.filter { wanted.contains($0.collector) }
        if time > 0 {
            try takeDown(peers, at: time)
            afterElements()
        }
        report.gaps += 1
        onUpdate(.gap(collectors: collectors.sorted(), peers: peers.count, time: time, cause: cause))
    }

    /// Replays MRT files into the state (RIB dumps, update files), in time order across
    /// files, by the ingest's rules; they are recorded as ingested with the next checkpoint.
    public func replay(files: [String]) throws(IngestError) {
        guard !files.isEmpty else { return }
        let selection = try session.select(files: files)
        for s in selection.skipped { onUpdate(.warning("\(s.path): \(s.reason); skipped")) }
        guard !selection.todo.isEmpty else {
            onUpdate(.replayed(files: 0, elements: 0, skipped: selection.skipped.count))
            return
        }
        let inputs = selection.todo.map { ReplayInput(path: $0) }
        let replay = Replay(inputs)
        var damagedByFile: [String: Int] = [:]
        var damaged = 0
        let onUpdate = onUpdate
        replay.onDiagnostic = { d in
            guard d.isDamage else { return }
            damaged += 1
            damagedByFile[d.file, default: 0] += 1
            if damaged <= 20 { onUpdate(.warning("\(d)")) }
        }
        do {
            try monitor.replay(replay, fileDone: { [self] _ in afterElements(checkpointing: false) })
        } catch let e as IngestError {
            throw e
        } catch {
            throw IngestError.registry("\(error)")
        }
        var replayed = 0
        for r in replay.reports {
            if let e = r.error {
                onUpdate(.warning("\(r.path): \(e); not recorded as ingested"))
            } else if r.records == 0 {
                onUpdate(.warning("\(r.path): no MRT records (empty or not an MRT archive); not recorded as ingested"))
            } else {
                replayed += 1
                pendingFiles.append(IngestedFile(contentHash: selection.hashes[r.path]!, path: r.path,
                                                 collector: inputs.first { $0.path == r.path }!.collector,
                                                 elements: r.elements, damagedRecords: damagedByFile[r.path] ?? 0))
            }
        }
        report.files += replayed
        report.fileElements += replay.elements
        report.damagedRecords += damaged
        report.reached = max(report.reached, monitor.now)
        onUpdate(.replayed(files: replayed, elements: replay.elements, skipped: selection.skipped.count))
    }

    /// Writes the bins closed and the events changed since the last checkpoint, the files
    /// replayed, and the state, in one transaction; the tables stay in memory.
    public func checkpoint() throws(IngestError) {
        takeResults()
        let result = session.result(files: pendingFiles, bins: pendingBins, events: pendingEvents, releasingTables: false)
        do {
            try store.save(result)
        } catch {
            throw IngestError.store("\(error)")
        }
        pendingFiles = []
        pendingBins = []
        pendingEvents = []
        pendingIndex = [:]
        binsSinceCheckpoint = 0
        lastCheckpoint = .now
        report.checkpoints += 1
        onUpdate(.checkpoint(time: monitor.now, bytes: session.lastCheckpoint.bytes, seconds: session.lastCheckpoint.seconds))
    }

    /// Takes the sessions of `peers` down at `time` (their tables are dropped; they count
    /// again once a RIB dump lists them).
    func takeDown(_ peers: [PeerKey], at time: UInt32) throws(IngestError) {
        for peer in peers {
            let down = RouteElement(timestamp: time, kind: .state, peerAddress: peer.address, peerASN: peer.asn,
                                    prefix: Prefix(address: peer.address.isV6 ? .zeroV6 : .zeroV4, length: 0),
                                    oldState: .established, newState: .idle, recordType: .bgp4mpET, recordSubtype: 5,
                                    origin: .stateChange)
            try process(down, collector: peer.collector)
            tookDown(peer, at: time)
        }
    }

    private func process(_ e: RouteElement, collector: String) throws(IngestError) {
        do {
            try monitor.process(e, collector: collector)
        } catch let error as IngestError {
            throw error
        } catch {
            throw IngestError.registry("\(error)")
        }
    }

    /// After elements: when bins closed, their results are taken and the events that opened
    /// or closed reported; a checkpoint is written when one is due.
    func afterElements(checkpointing: Bool = true) {
        report.reached = max(report.reached, monitor.now)
        if monitor.openBin != lastBin {
            if let last = lastBin, let open = monitor.openBin, open > last {
                binsSinceCheckpoint += Int((open - last) / max(monitor.options.binSeconds, 1))
            }
            lastBin = monitor.openBin
            takeResults()
        }
        guard checkpointing else { return }
        if binsSinceCheckpoint >= options.checkpointBins || ContinuousClock.now - lastCheckpoint >= options.checkpointInterval {
            do { try checkpoint() } catch {
                // The next checkpoint (at the latest when the session ends) tries again.
                onUpdate(.warning("checkpoint failed: \(error)"))
                lastCheckpoint = .now
            }
        }
    }

    /// Takes the monitor's closed bins and changed events for the next checkpoint, and
    /// reports the events that opened or closed.
    private func takeResults() {
        let (bins, events) = monitor.takeResults()
        pendingBins += bins
        report.bins += bins.count
        for e in events {
            if let k = pendingIndex[e.key] { pendingEvents[k] = e } else {
                pendingIndex[e.key] = pendingEvents.count
                pendingEvents.append(e)
            }
            if e.end == nil {
                if openKeys.insert(e.key).inserted {
                    report.eventsOpened += 1
                    onUpdate(.opened(e))
                }
            } else {
                openKeys.remove(e.key)
                report.eventsClosed += 1
                onUpdate(.closed(e))
            }
        }
    }
}

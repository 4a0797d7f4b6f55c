import Collectors
import MRT
import Outages
import Routing

/// The "next RIB" of a live session: while the stream runs, each collector's newest RIB dump
/// is looked for in RIS's archive (`RIBRefreshOptions`), and a newer one brings the peers
/// that do not count for want of a table (a gap: a disconnection, a restart, a session
/// reset; or never listed) back into the count.
///
/// The rule. The dump's records carry its time (say 08:00) while the stream is later (say
/// 08:25), and bins before the stream's time are closed. So a dump is applied at the
/// stream's time, to the tables it can only improve, and to no other:
///
/// - Only to the collector's peers that are not synchronised now (their tables were dropped
///   when their messages were lost or their session went down, or no dump ever set them),
///   and only when the dump was taken at or after they were taken down during this session:
///   a dump older than that knows nothing of what was lost, and would bring back the table
///   of a peer whose session went down after it.
/// - Peers in sync (counted, or in sync under a silent collector) are left alone: their
///   tables follow the stream and are more current than the dump. Their entries are not
///   applied at all, so that `RoutingState.endRIB`, which removes from each table the dump
///   listed the routes it did not list, never sees them.
/// - For the peers it applies to, the dump's entries are stamped with the stream's time (the
///   dump is the best knowledge of those tables), overlaid with what the stream said since
///   the dump's time (kept for peers out of sync: their announcements and withdrawals after
///   it win over the dump's entries), then the RIB is ended (`Monitor.endOfRIB`): their
///   tables are re-synchronised and they count again. What changed between the dump's time
///   and the end of the lost messages is lost either way.
/// - A peer coming back into the count moves the series' baselines with it (a rebase, as for
///   any RIB): a refresh never opens an outage.
/// - A dump read with damage or an error is not used: the peers it was applied to are taken
///   down again (a partial table could make a loss out of a missing record).
/// - A dump not newer than the last one applied (or replayed at the start) for its
///   collector is passed over; one later than the stream's time waits for the stream.
///   A missing dump is normal (not published yet): it is asked for again at the next look.
extension LiveSession {
    /// What the looking task hands to the session.
    enum RIBLook: Sendable {
        /// The newest dump of `collector` the archive has, in the cache.
        case found(collector: String, file: FetchedFile)
        /// The archive could not be asked (not "missing": that is no news).
        case failed(collector: String, reason: String)
    }

    /// What the session keeps for its refreshes.
    struct RIBRefreshState {
        /// Per collector, the time of the last dump applied or replayed.
        var lastDump: [String: UInt32] = [:]
        /// When each peer was taken down during this session (gap or session down).
        var downSince: [PeerKey: UInt32] = [:]
        /// For the peers out of sync, the stream's latest element per prefix since they were
        /// taken down (or since the last dump of their collector): the overlay of a dump.
        var recent: [PeerKey: [Prefix: RouteElement]] = [:]
    }

    /// Starts the task that looks for each collector's newest dump every `interval`,
    /// handing what it finds to `deliver`; nil when refreshing is off. Cancel it and await
    /// it when done (it closes its HTTP client).
    func startRIBLooks(_ deliver: @escaping @Sendable (RIBLook) -> Void) -> Task<Void, Never>? {
        guard let refresh = options.ribRefresh else { return nil }
        let collectors = streamedCollectors.compactMap { CollectorCatalog.collector(named: $0) }.filter { $0.project == .ris }
        guard !collectors.isEmpty else { return nil }
        return Task {
            let fetcher = ArchiveFetcher(source: refresh.source)
            while !Task.isCancelled {
                for c in collectors {
                    if Task.isCancelled { break }
                    do throws(CollectorError) {
                        let file = try await fetcher.latestRIB(collector: c, atOrBefore: refresh.clock())
                        deliver(.found(collector: c.name, file: file))
                    } catch {
                        if case .noRIB = error { continue }  // not published yet: next time
                        if Task.isCancelled { break }
                        deliver(.failed(collector: c.name, reason: "\(error)"))
                    }
                }
                try? await Task.sleep(for: refresh.interval)
            }
            await fetcher.shutdown()
        }
    }

    /// The dumps replayed at the start (`run(files:)`): not to be applied again.
    func noteReplayedRIBs(_ files: [String]) {
        for path in files {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            guard name.contains("bview") || name.contains("rib"), let time = Replay.firstTime(path) else { continue }
            let c = collectorName(forPath: path)
            ribs.lastDump[c] = max(ribs.lastDump[c] ?? 0, time)
        }
    }

    /// The stream's element `e` of `collector`, just applied: a session going down, and
    /// what peers out of sync announce and withdraw, are kept for the next dump.
    func noteForRefresh(_ e: RouteElement, collector: String) {
        guard options.ribRefresh != nil else { return }
        let key = PeerKey(collector: collector, address: e.peerAddress, asn: e.peerASN)
        if RoutingState.isSessionDown(e) {
            tookDown(key, at: e.timestamp)
            return
        }
        guard e.kind == .announce || e.kind == .withdraw else { return }
        let peer = monitor.state.peerID(key)
        if monitor.isSynchronised(peer: peer) {
            if ribs.recent[key] != nil { ribs.recent[key] = nil }
            return
        }
        ribs.recent[key, default: [:]][e.prefix] = e
    }

    /// `key`'s table was dropped at `time`: what came before counts for nothing.
    func tookDown(_ key: PeerKey, at time: UInt32) {
        guard options.ribRefresh != nil else { return }
        ribs.downSince[key] = max(ribs.downSince[key] ?? 0, time)
        ribs.recent[key] = nil
    }

    /// Applies what the looking task found, by the rule above; checkpoints after a dump applied.
    func handle(_ look: RIBLook) throws(IngestError) {
        switch look {
        case .failed(let collector, let reason):
            onUpdate(.warning("rib: \(collector): \(reason); asked again later"))
        case .found(let collector, let file):
            guard let dumpTime = Replay.firstTime(file.path) else {
                onUpdate(.warning("rib: \(file.path): no MRT records; not used"))
                return
            }
            // Not newer than the last one, or ahead of the stream (it waits for it).
            guard dumpTime > ribs.lastDump[collector] ?? 0, dumpTime <= monitor.now else { return }
            ribs.lastDump[collector] = dumpTime
            if try applyRIB(file.path, collector: collector, dumpTime: dumpTime) { try checkpoint() }
        }
    }

    /// Applies the dump at `path` (taken at `dumpTime`) to `collector`'s peers out of sync
    /// that were not taken down after it; false when there were none.
    func applyRIB(_ path: String, collector: String, dumpTime: UInt32) throws(IngestError) -> Bool {
        let time = monitor.now
        let state = monitor.state
        func wanted(_ key: PeerKey) -> Bool {
            (ribs.downSince[key] ?? 0) <= dumpTime && !monitor.isSynchronised(peer: state.peerID(key))
        }
        // Nothing to do when every peer the state knows of this collector is in sync (a new
        // peer the dump lists waits for the next dump: not worth reading a whole dump for).
        guard state.peers.contains(where: { $0.collector == collector && wanted($0) }) else {
            pruneRecent(collector: collector, before: dumpTime)
            return false
        }
        // The decision per peer of the dump, made once (before any of its entries is applied).
        struct Peer: Hashable { var address: IPAddress; var asn: UInt32 }
        var decided: [Peer: Bool] = [:]
        var applied: Set<PeerKey> = []
        var damaged = 0
        let replay = Replay([ReplayInput(path: path, collector: collector)])
        let onUpdate = onUpdate
        replay.onDiagnostic = { d in
            guard d.isDamage else { return }
            damaged += 1
            if damaged <= 5 { onUpdate(.warning("rib: \(d)")) }
        }
        do {
            try replay.run({ e, _ in
                guard e.kind == .rib else { return }
                let p = Peer(address: e.peerAddress, asn: e.peerASN)
                let key = PeerKey(collector: collector, address: e.peerAddress, asn: e.peerASN)
                let use: Bool
                if let d = decided[p] { use = d } else {
                    use = wanted(key)
                    decided[p] = use
                    if use { applied.insert(key) }
                }
                // The stream's word since the dump wins over the dump's.
                guard use, (ribs.recent[key]?[e.prefix]?.timestamp ?? 0) <= dumpTime else { return }
                var entry = e
                entry.timestamp = time
                entry.microseconds = 0
                try monitor.process(entry, collector: collector)
            })
            // What the stream announced since the dump, as entries of the dump.
            for key in applied.sorted(by: { state.peerID($0) < state.peerID($1) }) {
                let recent = (ribs.recent[key] ?? [:]).values.filter { $0.timestamp > dumpTime && $0.kind == .announce }
                for e in recent.sorted(by: { $0.prefix < $1.prefix }) {
                    var entry = e
                    entry.kind = .rib
                    entry.timestamp = time
                    entry.microseconds = 0
                    try monitor.process(entry, collector: collector)
                }
            }
        } catch let e as IngestError {
            throw e
        } catch {
            throw IngestError.registry("\(error)")
        }
        monitor.endOfRIB(collector: collector)
        let file = path.split(separator: "/").last.map(String.init) ?? path
        if let error = replay.reports.first?.error ?? (damaged > 0 ? "\(damaged) damaged records" : nil) {
            // A partial table could make a loss out of a missing record: those peers wait for
            // the next dump.
            onUpdate(.warning("rib: \(collector) \(file): \(error); not used"))
            try takeDown(applied.sorted(by: { state.peerID($0) < state.peerID($1) }), at: time)
            afterElements()
            return true
        }
        let back = applied.count { monitor.isCounted(peer: state.peerID($0)) }
        for key in applied where monitor.isSynchronised(peer: state.peerID(key)) {
            ribs.recent[key] = nil
            ribs.downSince[key] = nil
        }
        pruneRecent(collector: collector, before: dumpTime)
        afterElements()
        onUpdate(.ribApplied(collector: collector, file: file, dumpTime: dumpTime, time: time, peers: back))
        return true
    }

    /// Forgets what the stream said up to `time` of `collector`'s peers: any later dump is newer.
    private func pruneRecent(collector: String, before time: UInt32) {
        for key in ribs.recent.keys where key.collector == collector {
            ribs.recent[key] = ribs.recent[key]!.filter { $0.value.timestamp > time }
            if ribs.recent[key]!.isEmpty { ribs.recent[key] = nil }
        }
    }
}

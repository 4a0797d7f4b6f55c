import Connectivity
import MRT
import Registry
import Routing

/// Replays routing data into the routing state, keeps every country's and origin AS's
/// series (IPv4 and IPv6) in time bins, and runs the outage and instability detectors as
/// each bin closes, so that an event's evidence is taken from the state at that moment.
///
/// Which peers count: those whose table a RIB dump set (a table built from updates alone
/// lacks every prefix that did not change, so it says nothing about what vanished), whose
/// session is up, and whose collector is not silent. Which prefixes count and which are
/// visible: `VisibilityRule`, over every collector at once. A change in which peers count
/// (a session reset, a silent collector, a new RIB) moves the series and their baselines
/// together: it is a gap in the data, never an outage. README "Detection rules".
public final class Monitor {
    public let options: DetectorOptions
    public internal(set) var state = RoutingState()
    let loadRegistry: (UInt32) throws -> RegistryDatabase
    public internal(set) var registry: RegistryDatabase?
    /// The time the registry was chosen for (kept with the checkpoint).
    var registryTime: UInt32 = 0

    // Per prefix id.
    /// The path of the prefix's latest announcement (any peer): its origin and providers.
    var prefixPath: [UInt32] = []
    /// Index of the prefix's country series (-1: no registered country).
    var countrySeries: [Int32] = []
    /// Index of the origin AS series it is counted in while visible (-1: none).
    var originSeries: [Int32] = []
    /// Index of the series of the origin of `prefixPath` (-1: none; -2: not looked up since it changed).
    var pathSeries: [Int32] = []
    /// Counted peers carrying it now; counted peers that carried it in its baseline (all,
    /// and full-feed ones).
    var carriers: [UInt16] = []
    var expected: [UInt16] = []
    var expectedFullFeed: [UInt16] = []
    /// Bit 0: it counts; bit 1: it is visible; bit 2: it is IPv6.
    var status: [UInt8] = []
    /// The last bin in which it was counted as unstable (flap or path change).
    var unstableStamp: [UInt32] = []
    var dirty: [Bool] = []
    var dirtyList: [UInt32] = []
    /// Prefixes whose counted peers changed (a rebase), judged once, together, when the
    /// full-feed peers have been decided again (`refreshFullFeed`): a RIB of many peers
    /// judges each prefix once, not once per peer.
    var rebaseMark: [Bool] = []
    var rebaseList: [UInt32] = []
    /// Series whose prefixes moved while their spaces are to be counted afresh (`recountSpaces`),
    /// each once (`SeriesState.recountPending`).
    var spaceRecount: [Int32]?

    // Per peer id.
    var synced: [Bool] = []
    var counted: [Bool] = []
    /// Full-feed for IPv4 and for IPv6, each judged on its own family's table (a collector's
    /// IPv6 sessions are often peers of their own).
    var fullFeed: [Bool] = []
    var fullFeed6: [Bool] = []
    var peerCollector: [Int] = []
    var fullFeedCount = 0
    var fullFeedCount6 = 0
    /// The full-feed counts every prefix was last judged against.
    var judgedFullFeed = (0, 0)
    var countedCount = 0
    /// Peers listed by the RIB dump being read.
    var inRIB: Set<UInt32> = []

    // Per collector.
    var collectorNames: [String] = []
    var collectorIDs: [String: Int] = [:]
    /// The collector of the latest element (elements come in runs of one collector's).
    var lastCollector: (name: String, id: Int)?
    var lastHeard: [UInt32] = []
    var silent: [Bool] = []

    /// Routes a counted peer withdrew, by `peer << 32 | prefix`, with the time: the peer
    /// still counts as one that carried the prefix until `baselineSeconds` later.
    var missing: [UInt64: UInt32] = [:]
    var missingQueue: [(time: UInt32, key: UInt64)] = []
    var missingHead = 0

    // Series.
    var series: [SeriesState] = []
    var seriesIndex: [SeriesID: Int32] = [:]
    /// The series judged when the open bin closes: countries, those that moved, those whose
    /// detectors are under way. The others sleep (`SeriesState.awake`).
    var awakeList: [Int32] = []
    /// Bins closed with full-feed peers of the family (IPv4, IPv6), and those of them that
    /// carried updates: the bins in which a settled series adds its level to its baseline
    /// (and nothing to its churn baseline), which a sleeping one owes when it wakes.
    var judgedBins = [0, 0]
    var churnBins = [0, 0]

    // The open bin.
    var binStart: UInt32?
    /// Withdrawals in this bin and the one before, by `peer << 32 | prefix` (flaps, evidence).
    var withdrawnInBin: Set<UInt64> = []
    var withdrawnBefore: Set<UInt64> = []
    /// A and W elements in the open bin, any series.
    var updatesInBin = 0
    /// The start of the bin in progress: data older than it can no longer be applied.
    public var openBin: UInt32? { binStart }

    /// Time of the latest element applied; `lastAny` lags it while the bins before an
    /// element are closed, so that a hole in all of the data is not taken for silence.
    public internal(set) var now: UInt32 = 0
    var lastAny: UInt32 = 0

    /// Bins closed since the last `takeResults`, in time order.
    public internal(set) var bins: [(series: SeriesID, bin: SeriesBin)] = []
    /// Events opened, changed or closed since the last `takeResults`, and every open event.
    public internal(set) var events: [Event] = []

    public init(options: DetectorOptions = DetectorOptions(), registry: @escaping (UInt32) throws -> RegistryDatabase) {
        var options = options
        options.binSeconds = max(options.binSeconds, 1)
        self.options = options
        self.loadRegistry = registry
    }

    // MARK: Input

    /// Applies one element of `collector` (elements must come in time order: see `Replay`).
    public func process(_ e: RouteElement, collector: String) throws {
        if registry == nil {
            registry = try loadRegistry(e.timestamp)
            registryTime = e.timestamp
        }
        closeBins(before: e.timestamp)
        now = max(now, e.timestamp)
        lastAny = now
        let c = collectorID(collector)
        lastHeard[c] = max(lastHeard[c], e.timestamp)
        if silent[c] { wake(c) }
        if RoutingState.isSessionDown(e) {
            let peer = state.peerID(PeerKey(collector: collector, address: e.peerAddress, asn: e.peerASN))
            growPeers(collector: c)
            sessionDown(peer)
            return
        }
        let change = state.apply(e, collector: collector)
        growPeers(collector: c)
        let announce = e.kind == .announce
        if announce || e.kind == .withdraw { updatesInBin += 1 }
        if e.kind == .rib, let peer = change.peer { inRIB.insert(peer) }
        switch change {
        case .added(let peer, let prefix, let path):
            grow(prefix)
            // The origin and providers follow the peers that count (a leak seen by one other
            // peer does not move a prefix to another origin AS).
            if counted[Int(peer)] || carriers[Int(prefix)] == 0 { setPath(prefix, path) }
            if announce {
                forSeries(of: prefix) { $0.announcements += 1 }
                let key = UInt64(peer) << 32 | UInt64(prefix)
                if withdrawnInBin.contains(key) || withdrawnBefore.contains(key) {
                    forSeries(of: prefix) { $0.flaps += 1 }
                    markUnstable(prefix)
                }
            }
            if counted[Int(peer)] { carry(peer, prefix) } else { markDirty(prefix) }  // the origin may have changed
        case .pathChanged(let peer, let prefix, _, let new):
            if counted[Int(peer)] || carriers[Int(prefix)] == 0 { setPath(prefix, new) }
            markDirty(prefix)  // the origin may have changed
            if announce {
                forSeries(of: prefix) { $0.announcements += 1; $0.pathChanges += 1 }
                markUnstable(prefix)
            }
        case .unchanged(_, let prefix):
            if announce { forSeries(of: prefix) { $0.announcements += 1 } }
        case .removed(let peer, let prefix, _):
            withdrawnInBin.insert(UInt64(peer) << 32 | UInt64(prefix))
            forSeries(of: prefix) { $0.withdrawals += 1; $0.binPeers.insert(peer) }
            if counted[Int(peer)] { drop(peer, prefix) }
        case .nothing:
            break
        }
    }

    /// Replays `replay`'s files through the monitor, ending each RIB dump when its file
    /// ends; `each` is called after every element and `fileDone` after every file.
    public func replay(_ replay: Replay, each: (RouteElement) -> Void = { _ in },
                       fileDone: (ReplayInput) -> Void = { _ in }) throws {
        var ribFiles: Set<String> = []
        try replay.run({ e, input in
            if e.kind == .rib { ribFiles.insert(input.path) }
            try process(e, collector: input.collector)
            each(e)
        }, endOfFile: { input in
            if ribFiles.remove(input.path) != nil { endOfRIB(collector: input.collector) }
            fileDone(input)
        })
    }

    /// The RIB dump of `collector` has been read to its end: it re-synchronises the tables
    /// it listed, and their peers count from now on.
    public func endOfRIB(collector: String) {
        for (peer, prefix, _) in state.endRIB(collector: collector) where counted[Int(peer)] { drop(peer, prefix) }
        let listed = inRIB.filter { state.peers[Int($0)].collector == collector }.sorted()
        guard !listed.isEmpty else { return }
        inRIB.subtract(listed)
        flush()
        for peer in listed where !synced[Int(peer)] {
            synced[Int(peer)] = true
            if !silent[peerCollector[Int(peer)]] { include(peer) }
        }
        refreshFullFeed()
    }

    // MARK: Peers

    /// Whether a RIB dump has set the peer's table and it has not been lost since (a session
    /// reset, a hole in the data): its table is in sync, whether it counts now or not (its
    /// collector silent).
    public func isSynchronised(peer: UInt32) -> Bool { Int(peer) < synced.count && synced[Int(peer)] }

    /// Whether the peer counts now (`isSynchronised`, session up, collector not silent).
    public func isCounted(peer: UInt32) -> Bool { Int(peer) < counted.count && counted[Int(peer)] }

    private func collectorID(_ name: String) -> Int {
        if let last = lastCollector, last.name == name { return last.id }
        if let c = collectorIDs[name] {
            lastCollector = (name, c)
            return c
        }
        collectorIDs[name] = collectorNames.count
        collectorNames.append(name)
        lastHeard.append(0)
        silent.append(false)
        return collectorNames.count - 1
    }

    private func growPeers(collector: Int) {
        while synced.count < state.peers.count {
            synced.append(false)
            counted.append(false)
            fullFeed.append(false)
            fullFeed6.append(false)
            peerCollector.append(collectorIDs[state.peers[synced.count - 1].collector] ?? collector)
        }
    }

    /// The peer's session left Established: its routes are gone, and it counts again only
    /// once a RIB dump lists it.
    private func sessionDown(_ peer: UInt32) {
        if counted[Int(peer)] {
            flush()
            exclude(peer)
            _ = state.dropPeer(peer)
            synced[Int(peer)] = false
            refreshFullFeed()
        } else {
            _ = state.dropPeer(peer)
            synced[Int(peer)] = false
        }
        inRIB.remove(peer)
    }

    /// The collector spoke again after a silence: its synchronised peers count again.
    private func wake(_ c: Int) {
        silent[c] = false
        flush()
        for peer in synced.indices where synced[peer] && peerCollector[peer] == c && !counted[peer] { include(UInt32(peer)) }
        refreshFullFeed()
    }

    /// Collectors not heard for `silenceSeconds` while others were: their peers stop
    /// counting. (When no collector is heard, the data has a hole: see `gapSeconds`.)
    private func silence() {
        for c in silent.indices where !silent[c] && lastHeard[c] > 0 && lastAny >= lastHeard[c] &+ options.silenceSeconds {
            silent[c] = true
            flush()
            for peer in counted.indices where counted[peer] && peerCollector[peer] == c { exclude(UInt32(peer)) }
            refreshFullFeed()
        }
    }

    /// A peer starts counting: its routes add to carriers and baselines (a rebase, not a
    /// change, judged by the `refreshFullFeed` that follows).
    private func include(_ peer: UInt32) {
        counted[Int(peer)] = true
        countedCount += 1
        state.tables[Int(peer)].forEach { prefix, _ in
            grow(prefix)
            carriers[Int(prefix)] &+= 1
            expected[Int(prefix)] &+= 1
            markRebase(prefix)
        }
    }

    /// A peer stops counting (session down, silent collector): it leaves carriers and
    /// baselines alike (a rebase, not a loss).
    private func exclude(_ peer: UInt32) {
        state.tables[Int(peer)].forEach { prefix, _ in
            carriers[Int(prefix)] &-= 1
            expected[Int(prefix)] &-= 1
            if isFullFeed(peer, for: prefix) { expectedFullFeed[Int(prefix)] &-= 1 }
            markRebase(prefix)
        }
        for key in missing.keys.filter({ UInt32(truncatingIfNeeded: $0 >> 32) == peer }).sorted() {
            let prefix = UInt32(truncatingIfNeeded: key)
            missing[key] = nil
            expected[Int(prefix)] &-= 1
            if isFullFeed(peer, for: prefix) { expectedFullFeed[Int(prefix)] &-= 1 }
            markRebase(prefix)
        }
        counted[Int(peer)] = false
        countedCount -= 1
        if fullFeed[Int(peer)] { fullFeed[Int(peer)] = false; fullFeedCount -= 1 }
        if fullFeed6[Int(peer)] { fullFeed6[Int(peer)] = false; fullFeedCount6 -= 1 }
    }

    private func markRebase(_ prefix: UInt32) {
        if !rebaseMark[Int(prefix)] {
            rebaseMark[Int(prefix)] = true
            rebaseList.append(prefix)
        }
    }

    /// Whether `peer` is full-feed for the family of `prefix`.
    @inline(__always)
    func isFullFeed(_ peer: UInt32, for prefix: UInt32) -> Bool {
        status[Int(prefix)] & 4 != 0 ? fullFeed6[Int(peer)] : fullFeed[Int(peer)]
    }

    /// Which counted peers are full-feed, decided when the peers that count change (not
    /// bin by bin, so that a table's ups and downs do not move it); then the prefixes whose
    /// peers changed are judged, or every prefix when the full-feed peers changed, as a rebase.
    /// Every change of which peers count (`include`, `exclude`) ends here.
    private func refreshFullFeed() {
        var largest = 0, largest6 = 0
        for i in counted.indices where counted[i] {
            largest = max(largest, state.tables[i].ipv4Count)
            largest6 = max(largest6, state.tables[i].count - state.tables[i].ipv4Count)
        }
        var changed = false
        for i in counted.indices {
            let ff = counted[i] && options.rule.isFullFeed(prefixes: state.tables[i].ipv4Count, largest: largest)
            let ff6 = counted[i] && options.rule.isFullFeed(prefixes: state.tables[i].count - state.tables[i].ipv4Count,
                                                            largest: largest6)
            guard ff != fullFeed[i] || ff6 != fullFeed6[i] else { continue }
            changed = true
            let was = (fullFeed[i], fullFeed6[i])
            fullFeed[i] = ff
            fullFeed6[i] = ff6
            fullFeedCount += (ff ? 1 : 0) - (was.0 ? 1 : 0)
            fullFeedCount6 += (ff6 ? 1 : 0) - (was.1 ? 1 : 0)
            func adjust(_ prefix: UInt32) {
                let v6 = status[Int(prefix)] & 4 != 0
                let (before, after) = v6 ? (was.1, ff6) : (was.0, ff)
                if after && !before { expectedFullFeed[Int(prefix)] &+= 1 } else if before && !after { expectedFullFeed[Int(prefix)] &-= 1 }
            }
            state.tables[i].forEach { prefix, _ in adjust(prefix) }
            for (key, _) in missing where UInt32(truncatingIfNeeded: key >> 32) == UInt32(i) { adjust(UInt32(truncatingIfNeeded: key)) }
        }
        // Which prefixes count depends on how many peers are full-feed.
        let all = changed || judgedFullFeed != (fullFeedCount, fullFeedCount6)
        judgedFullFeed = (fullFeedCount, fullFeedCount6)
        if !all { rebaseList.sort() }
        for p in rebaseList { rebaseMark[Int(p)] = false }
        recountSpaces {
            if all {
                for p in 0..<UInt32(status.count) { evaluate(p, rebase: true) }
            } else {
                for p in rebaseList { evaluate(p, rebase: true) }
            }
        }
        rebaseList.removeAll(keepingCapacity: true)
    }

    // MARK: Routes of counted peers

    /// A counted peer carries `prefix` (again).
    private func carry(_ peer: UInt32, _ prefix: UInt32) {
        carriers[Int(prefix)] &+= 1
        if missing.removeValue(forKey: UInt64(peer) << 32 | UInt64(prefix)) == nil {
            expected[Int(prefix)] &+= 1
            if isFullFeed(peer, for: prefix) { expectedFullFeed[Int(prefix)] &+= 1 }
        }
        markDirty(prefix)
    }

    /// A counted peer no longer carries `prefix`: it still counts in the prefix's baseline for a while.
    private func drop(_ peer: UInt32, _ prefix: UInt32) {
        carriers[Int(prefix)] &-= 1
        let key = UInt64(peer) << 32 | UInt64(prefix)
        missing[key] = now
        missingQueue.append((now, key))
        markDirty(prefix)
    }

    /// Withdrawals older than the baseline are forgotten: the peer no longer counts as one
    /// that carried the prefix.
    private func forget(before time: UInt32) {
        while missingHead < missingQueue.count, missingQueue[missingHead].time &+ options.baselineSeconds <= time {
            let (t, key) = missingQueue[missingHead]
            missingHead += 1
            guard missing[key] == t else { continue }
            missing[key] = nil
            let peer = UInt32(truncatingIfNeeded: key >> 32), prefix = UInt32(truncatingIfNeeded: key)
            expected[Int(prefix)] &-= 1
            if isFullFeed(peer, for: prefix) { expectedFullFeed[Int(prefix)] &-= 1 }
            // A peer forgotten can stop the prefix counting: not a routing event now.
            evaluate(prefix, rebase: true)
        }
        if missingHead > 4096, missingHead * 2 > missingQueue.count {
            missingQueue.removeFirst(missingHead)
            missingHead = 0
        }
    }

    // MARK: Prefixes

    func grow(_ prefix: UInt32) {
        while countrySeries.count <= Int(prefix) {
            let id = UInt32(countrySeries.count)
            let p = state.prefixes[id]
            var s: Int32 = -1
            if let cc = registry?.country(of: p) {
                s = seriesID(for: SeriesID(.country(cc), p.isV6 ? .ipv6 : .ipv4))
                list(id, in: s)
            }
            countrySeries.append(s)
            prefixPath.append(0)
            originSeries.append(-1)
            pathSeries.append(-2)
            carriers.append(0)
            expected.append(0)
            expectedFullFeed.append(0)
            status.append(p.isV6 ? 4 : 0)
            unstableStamp.append(UInt32.max)
            dirty.append(false)
            rebaseMark.append(false)
        }
    }

    func seriesID(for id: SeriesID) -> Int32 {
        if let i = seriesIndex[id] { return i }
        let i = Int32(series.count)
        let rules: SeriesRules
        if case .country = id.subject { rules = options.countries } else { rules = options.originASes }
        series.append(SeriesState(id: id, rules: rules, baselineBins: options.baselineBins))
        seriesIndex[id] = i
        awakeList.append(i)
        return i
    }

    /// Calls `body` for the prefix's country series and the origin AS series of its latest path.
    private func forSeries(of prefix: UInt32, _ body: (SeriesState) -> Void) {
        let c = countrySeries[Int(prefix)]
        if c >= 0 { body(wake(c)) }
        let o = originSeries(ofPath: prefix)
        if o >= 0 { body(wake(o)) }
    }

    private func setPath(_ prefix: UInt32, _ path: UInt32) {
        prefixPath[Int(prefix)] = path
        pathSeries[Int(prefix)] = -2
    }

    /// The series of the origin AS of the prefix's path (created if new), or -1 when the
    /// path ends in an AS_SET or is empty.
    func originSeries(ofPath prefix: UInt32) -> Int32 {
        var o = pathSeries[Int(prefix)]
        if o == -2 {
            let origin = state.paths.origins[Int(prefixPath[Int(prefix)])]
            o = origin == 0 ? -1 : seriesID(for: SeriesID(.asn(origin), state.prefixes[prefix].isV6 ? .ipv6 : .ipv4))
            pathSeries[Int(prefix)] = o
        }
        return o
    }

    /// Series `i`, awake: a sleeping one first adds the bins it slept through to its
    /// baselines (its level to the outage baseline, no churn to the instability one),
    /// exactly as judging them one by one would have.
    @discardableResult
    func wake(_ i: Int32) -> SeriesState {
        let s = series[Int(i)]
        if !s.awake {
            let f = s.id.family == .ipv6 ? 1 : 0
            s.baseline.add(s.visible, times: judgedBins[f] - s.sleptAt.judged)
            s.churnBaseline.add(0, times: churnBins[f] - s.sleptAt.churn)
            s.sleptAt = (judgedBins[f], churnBins[f])
            s.awake = true
            awakeList.append(i)
        }
        return s
    }

    /// Every series' baselines brought up to date (before a checkpoint); sleepers stay asleep.
    func settleSleepers() {
        for (i, s) in series.enumerated() where !s.awake {
            wake(Int32(i))
            s.awake = false
        }
        awakeList.removeAll { !series[Int($0)].awake }
    }

    private func markUnstable(_ prefix: UInt32) {
        let bin = binStart ?? 0
        guard unstableStamp[Int(prefix)] != bin else { return }
        unstableStamp[Int(prefix)] = bin
        forSeries(of: prefix) { $0.unstable += 1 }
    }

    private func markDirty(_ prefix: UInt32) {
        if !dirty[Int(prefix)] {
            dirty[Int(prefix)] = true
            dirtyList.append(prefix)
        }
    }

    /// Judges the prefixes whose routes changed.
    func flush() {
        for p in dirtyList {
            dirty[Int(p)] = false
            evaluate(p, rebase: false)
        }
        dirtyList.removeAll(keepingCapacity: true)
    }

    /// Whether the prefix counts and is visible now, moved into its series' counts. With
    /// `rebase`, the change comes from which peers count (or which prefixes count), not from
    /// a route, and the series' baselines move with it (see `judge`).
    private func evaluate(_ p: UInt32, rebase: Bool) {
        let i = Int(p)
        let v6 = status[i] & 4 != 0
        let counts = options.rule.counts(fullFeedCarriers: Int(expectedFullFeed[i]), fullFeedPeers: v6 ? fullFeedCount6 : fullFeedCount)
        let visible = counts && options.rule.isVisible(carriers: Int(carriers[i]), expected: Int(expected[i]))
        let new: UInt8 = (counts ? 1 : 0) | (visible ? 2 : 0) | (v6 ? 4 : 0)
        let wasVisible = status[i] & 2 != 0
        status[i] = new
        if visible != wasVisible, countrySeries[i] >= 0 {
            let s = wake(countrySeries[i])
            s.visible += visible ? 1 : -1
            s.changed = true
            memberChanged(p, in: countrySeries[i], joined: visible)
            if rebase { s.rebase += visible ? 1 : -1 }
        }
        // The origin AS it counts under while visible.
        let target = visible ? originSeries(ofPath: p) : -1
        let old = originSeries[i]
        guard target != old else { return }
        // A prefix moving from one origin to another is a route change, not a rebase.
        let moved = old >= 0 && target >= 0
        if old >= 0 {
            let s = wake(old)
            s.visible -= 1
            s.changed = true
            memberChanged(p, in: old, joined: false)
            if rebase && !moved { s.rebase -= 1 }
        }
        if target >= 0 {
            let s = wake(target)
            s.visible += 1
            s.changed = true
            list(p, in: target)
            memberChanged(p, in: target, joined: true)
            if rebase && !moved { s.rebase += 1 }
        }
        originSeries[i] = target
    }

    func isVisible(_ p: UInt32) -> Bool { status[Int(p)] & 2 != 0 }

    /// The prefixes of series `s` visible at its last normal bin, in the order of its prefixes.
    func lastNormal(_ s: Int32) -> [UInt32] {
        let st = series[Int(s)]
        let country = st.isCountry
        return st.prefixes.filter { st.sinceNormal[$0] ?? isMember($0, of: s, country: country) }
    }

    /// The prefixes of series `s` visible now.
    func visiblePrefixes(_ s: Int32) -> [UInt32] {
        let st = series[Int(s)]
        let country = st.isCountry
        var out: [UInt32] = []
        out.reserveCapacity(st.visible)
        for q in st.prefixes where isMember(q, of: s, country: country) { out.append(q) }
        return out
    }

    // MARK: Bins

    func closeBins(before t: UInt32) {
        let width = options.binSeconds
        guard var start = binStart else {
            binStart = t / width * width
            return
        }
        guard t >= start &+ width else { return }
        closeBin(start)
        let next = start + width
        if t - next > options.gapSeconds {
            // A hole in all of the data: no bins for it, and no table can be trusted after it
            // until a RIB dump lists it again.
            binStart = t / width * width
            withdrawnBefore = []
            flush()
            for peer in counted.indices where counted[peer] { exclude(UInt32(peer)) }
            for peer in synced.indices { synced[peer] = false }
            refreshFullFeed()
            return
        }
        start = next
        while t >= start + width {
            closeBin(start)
            start += width
        }
        binStart = start
    }

    private func closeBin(_ time: UInt32) {
        flush()  // the routes that changed in the bin, before anything else moves the counts
        forget(before: time + options.binSeconds)
        silence()
        let collectorsCounted = Set(counted.indices.filter { counted[$0] }.map { peerCollector[$0] }).count
        for f in 0..<2 where (f == 0 ? fullFeedCount : fullFeedCount6) > 0 {
            judgedBins[f] += 1
            if updatesInBin > 0 { churnBins[f] += 1 }
        }
        // In series order, as events are numbered.
        awakeList.sort()
        var stillAwake: [Int32] = []
        stillAwake.reserveCapacity(awakeList.count)
        for i in awakeList {
            let s = series[Int(i)]
            if s.changed {
                assert(s.spaceUnits == countSpace(i), "\(s.id): space \(s.spaceUnits) kept, \(countSpace(i)) counted")
                s.space = s.spaceInBinUnits
            }
            let bin = SeriesBin(time: time, visiblePrefixes: s.visible, space: s.space, announcements: s.announcements,
                                withdrawals: s.withdrawals, pathChanges: s.pathChanges, flaps: s.flaps,
                                unstablePrefixes: s.unstable,
                                fullFeedPeers: s.id.family == .ipv6 ? fullFeedCount6 : fullFeedCount, peers: countedCount,
                                collectors: collectorsCounted)
            // Countries have a bin every time; origin ASes only when something changed.
            if s.isCountry || s.hasUpdates || s.lastStored.map({ $0.visiblePrefixes != bin.visiblePrefixes || $0.space != bin.space }) ?? (bin.visiblePrefixes > 0) {
                bins.append((s.id, bin))
                s.lastStored = bin
            }
            judge(i, bin)
            s.resetBin()
            if s.canSleep(minimumHistory: options.minimumHistory) {
                let f = s.id.family == .ipv6 ? 1 : 0
                s.awake = false
                s.sleptAt = (judgedBins[f], churnBins[f])
            } else {
                stillAwake.append(i)
            }
        }
        awakeList = stillAwake
        withdrawnBefore = withdrawnInBin
        withdrawnInBin = []
        updatesInBin = 0
    }
}

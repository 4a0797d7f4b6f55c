import MRT
import Registry
import Routing

/// /24 equivalents of IPv4 prefixes given in ascending order, overlaps counted once.
func slash24Equivalents(of prefixes: some Sequence<Prefix>) -> Double {
    var total: Double = 0
    var end: UInt64 = 0  // one past the last address counted
    for p in prefixes {
        let r = RangeTable.range(p)
        let first = max(r.first, end)
        if r.last + 1 > first { total += Double(r.last + 1 - first) }
        end = max(end, r.last + 1)
    }
    return total / 256
}

/// One country's figures for one time bin.
public struct CountryBin: Sendable, Equatable {
    /// Start of the bin, Unix time.
    public var time: UInt32
    /// IPv4 prefixes visible by the census rule at the end of the bin.
    public var visiblePrefixes: Int
    /// Their address space in /24 equivalents, overlaps counted once.
    public var slash24s: Double
    public var announcements: Int
    public var withdrawals: Int
    public var pathChanges: Int
    /// Prefixes withdrawn and announced again by the same peer within the bin.
    public var flaps: Int
    public var fullFeedPeers: Int
    /// What the instability detector follows.
    public var churn: Int { withdrawals + flaps + pathChanges }

    public init(time: UInt32, visiblePrefixes: Int, slash24s: Double, announcements: Int, withdrawals: Int,
                pathChanges: Int, flaps: Int, fullFeedPeers: Int) {
        self.time = time
        self.visiblePrefixes = visiblePrefixes
        self.slash24s = slash24s
        self.announcements = announcements
        self.withdrawals = withdrawals
        self.pathChanges = pathChanges
        self.flaps = flaps
        self.fullFeedPeers = fullFeedPeers
    }
}

/// Replays routing data into the routing state, keeps a per-country time series in
/// bins, and runs the outage and instability detectors as each bin closes, so that an
/// event's evidence is taken from the state at that moment.
///
/// Visibility follows the census: a prefix is visible when more than `visibilityShare`
/// of the full-feed peers carry it, and a peer is full-feed when it carries at least
/// `fullFeedShare` as many IPv4 prefixes as the largest. Only peers whose tables were set
/// by a RIB dump can be full-feed: a table built from updates alone lacks every prefix
/// that did not change, so it says nothing about what vanished. Update-only peers still
/// count in the churn.
public final class Monitor {
    public let options: DetectorOptions
    public var visibilityShare = 0.5
    public var fullFeedShare = 0.8
    public let state = RoutingState()
    private let loadRegistry: (UInt32) throws -> RegistryDatabase
    public private(set) var registry: RegistryDatabase?

    // Per prefix id.
    var prefixCountry: [UInt16] = []
    /// The path of each prefix's latest announcement (any peer).
    var prefixPath: [UInt32] = []
    var visible: [Bool] = []
    private var carriers: [UInt16] = []
    private var dirty: [Bool] = []
    private var dirtyList: [UInt32] = []
    // Per peer id.
    private var fromRIB: [Bool] = []
    private var fullFeed: [Bool] = []
    private(set) var fullFeedCount = 0

    // Per country (raw code).
    private var countryPrefixes: [UInt16: [UInt32]] = [:]
    private var countryUnsorted: Set<UInt16> = []
    private var countryVisible: [UInt16: Int] = [:]
    private var countrySlash24s: [UInt16: Double] = [:]
    private var countryChanged: Set<UInt16> = []
    private var lastNormal: [UInt16: [UInt32]] = [:]

    // Per origin AS (see Monitor+Origins.swift): visible IPv4 prefixes, each counted
    // under the origin of its latest path; this bin's updates; the prefixes that stopped
    // being visible in this bin.
    var countedOrigin: [UInt32] = []
    var asnVisible: [UInt32: Int] = [:]
    var asnCounts: [UInt32: (a: Int, w: Int, pc: Int)] = [:]
    var asnLastStored: [UInt32: Int] = [:]
    var becameInvisible: [UInt32: [UInt32]] = [:]
    var asnOutage: [UInt32: OutageTracker] = [:]
    var openASNOutage: [UInt32: Int] = [:]
    var asnInstability: [UInt32: InstabilityTracker] = [:]
    var openASNInstability: [UInt32: Int] = [:]
    /// Origins whose visible prefixes changed in this bin, and the /24s of every origin.
    var asnChanged: Set<UInt32> = []
    var asnSlash24s: [UInt32: Double] = [:]
    var asnLastStoredSlash24s: [UInt32: Double] = [:]
    /// Per origin AS, its bins: stored only when something changed (a value holds until the next bin stored).
    public internal(set) var asnSeries: [UInt32: [ASNBin]] = [:]

    // The open bin.
    private var binStart: UInt32?
    private var counts: [UInt16: (a: Int, w: Int, pc: Int)] = [:]
    var withdrawnInBin: Set<UInt64> = []
    var withdrawnBefore: Set<UInt64> = []
    var flapped: Set<UInt32> = []
    /// Update messages (A and W elements) in the open bin, any country.
    var updatesInBin = 0

    /// Per country, its bins from the first in which it had prefixes.
    public private(set) var series: [CountryCode: [CountryBin]] = [:]
    public internal(set) var events: [Event] = []
    private var outage: [UInt16: OutageTracker] = [:]
    private var instability: [UInt16: InstabilityTracker] = [:]
    private var openOutage: [UInt16: Int] = [:]
    private var openInstability: [UInt16: Int] = [:]
    private var providerOfPath: [UInt32: UInt32] = [:]

    public init(options: DetectorOptions = DetectorOptions(), registry: @escaping (UInt32) throws -> RegistryDatabase) {
        self.options = options
        self.loadRegistry = registry
    }

    // MARK: Input

    /// Applies one element (elements must come in time order: see `Replay`).
    public func process(_ e: RouteElement, collector: String) throws {
        if registry == nil { registry = try loadRegistry(e.timestamp) }
        closeBins(before: e.timestamp)
        if RoutingState.isSessionDown(e) {
            let peer = state.peerID(PeerKey(collector: collector, address: e.peerAddress, asn: e.peerASN))
            growPeers()
            for (prefix, _) in state.dropPeer(peer) { routeGone(peer: peer, prefix: prefix) }
            return
        }
        let change = state.apply(e, collector: collector)
        growPeers()
        let announce = e.kind == .announce
        if announce || e.kind == .withdraw { updatesInBin += 1 }
        // A peer listed in a RIB dump has a whole table from then on, whatever it had before.
        if e.kind == .rib, let peer = change.peer { fromRIB[Int(peer)] = true }
        switch change {
        case .added(let peer, let prefix, let path):
            grow(prefix)
            prefixPath[Int(prefix)] = path
            if announce {
                count(prefix, path) { $0.a += 1 }
                if withdrawnInBin.contains(UInt64(peer) << 32 | UInt64(prefix)) { flapped.insert(prefix) }
            }
            if fullFeed[Int(peer)] { carriers[Int(prefix)] += 1 }
            markDirty(prefix)
        case .pathChanged(_, let prefix, _, let new):
            prefixPath[Int(prefix)] = new
            markDirty(prefix)  // the origin may have changed
            if announce { count(prefix, new) { $0.a += 1; $0.pc += 1 } }
        case .unchanged(_, let prefix):
            if announce { count(prefix, prefixPath[Int(prefix)]) { $0.a += 1 } }
        case .removed(let peer, let prefix, let path):
            count(prefix, path) { $0.w += 1 }
            withdrawnInBin.insert(UInt64(peer) << 32 | UInt64(prefix))
            routeGone(peer: peer, prefix: prefix)
        case .nothing:
            break
        }
    }

    /// A RIB dump has been read to its end: it re-synchronises the tables it covered.
    public func endOfRIB() {
        for (peer, prefix, _) in state.endRIB() { routeGone(peer: peer, prefix: prefix) }
    }

    /// Closes the open bin (at the end of the data).
    public func finish() {
        if let b = binStart { closeBin(b) }
        binStart = nil
    }

    private func routeGone(peer: UInt32, prefix: UInt32) {
        if fullFeed[Int(peer)] {
            carriers[Int(prefix)] -= 1
            markDirty(prefix)
        }
    }

    /// Counts an update for the prefix's country and for the origin AS of `path`.
    private func count(_ prefix: UInt32, _ path: UInt32, _ f: (inout (a: Int, w: Int, pc: Int)) -> Void) {
        let cc = prefixCountry[Int(prefix)]
        if cc != 0 { f(&counts[cc, default: (0, 0, 0)]) }
        let origin = state.paths.origins[Int(path)]
        if origin != 0 { f(&asnCounts[origin, default: (0, 0, 0)]) }
    }

    private func growPeers() {
        while fromRIB.count < state.peers.count {
            fromRIB.append(false)
            fullFeed.append(false)
        }
    }

    private func grow(_ prefix: UInt32) {
        while prefixCountry.count <= Int(prefix) {
            let id = UInt32(prefixCountry.count)
            let p = state.prefixes[id]
            let cc = registry?.country(of: p)?.rawValue ?? 0
            prefixCountry.append(cc)
            prefixPath.append(0)
            countedOrigin.append(0)
            carriers.append(0)
            visible.append(false)
            dirty.append(false)
            if cc != 0, !p.isV6 {
                countryPrefixes[cc, default: []].append(id)
                countryUnsorted.insert(cc)
            }
        }
    }

    private func markDirty(_ prefix: UInt32) {
        if !dirty[Int(prefix)] {
            dirty[Int(prefix)] = true
            dirtyList.append(prefix)
        }
    }

    // MARK: Bins

    private func closeBins(before t: UInt32) {
        let width = options.binSeconds
        guard var start = binStart else {
            binStart = t / width * width
            return
        }
        guard t >= start + width else { return }
        closeBin(start)
        let next = start + width
        if (t - next) / width > UInt32(options.gapBins) {
            binStart = t / width * width  // a gap in the data: no bins for it
            return
        }
        start = next
        while t >= start + width {
            closeBin(start)
            start += width
        }
        binStart = start
    }

    private func updateFullFeed() {
        let most = state.tables.indices.filter { fromRIB[$0] }.map { state.tables[$0].ipv4Count }.max() ?? 0
        var changed = false
        for i in state.tables.indices {
            let full = fromRIB[i] && most > 0 && Double(state.tables[i].ipv4Count) >= fullFeedShare * Double(most)
            if full != fullFeed[i] { fullFeed[i] = full; changed = true }
        }
        guard changed else { return }
        fullFeedCount = fullFeed.filter { $0 }.count
        for i in carriers.indices { carriers[i] = 0 }
        for i in state.tables.indices where fullFeed[i] {
            state.tables[i].forEach { prefix, _ in carriers[Int(prefix)] += 1 }
        }
        for p in 0..<UInt32(carriers.count) { markDirty(p) }
    }

    private func closeBin(_ time: UInt32) {
        updateFullFeed()
        let needed = visibilityShare * Double(fullFeedCount)
        for p in dirtyList {
            dirty[Int(p)] = false
            let now = fullFeedCount > 0 && Double(carriers[Int(p)]) > needed
            guard now != visible[Int(p)] else { continue }
            visible[Int(p)] = now
            let cc = prefixCountry[Int(p)]
            if cc != 0, !state.prefixes[p].isV6 {
                countryVisible[cc, default: 0] += now ? 1 : -1
                countryChanged.insert(cc)
            }
        }
        countOrigins(dirtyList)
        dirtyList.removeAll(keepingCapacity: true)
        for cc in countryChanged { countrySlash24s[cc] = slash24s(cc) }

        var flapsByCountry: [UInt16: Int] = [:]
        for p in flapped where prefixCountry[Int(p)] != 0 { flapsByCountry[prefixCountry[Int(p)], default: 0] += 1 }
        for cc in countryPrefixes.keys {
            let c = counts[cc] ?? (0, 0, 0)
            let bin = CountryBin(time: time, visiblePrefixes: countryVisible[cc] ?? 0,
                                 slash24s: countrySlash24s[cc] ?? 0, announcements: c.a, withdrawals: c.w,
                                 pathChanges: c.pc, flaps: flapsByCountry[cc] ?? 0, fullFeedPeers: fullFeedCount)
            series[CountryCode(rawValue: cc), default: []].append(bin)
            if fullFeedCount > 0 { detect(cc, bin) }
        }
        closeOriginBins(time)
        countryChanged = []
        counts = [:]
        flapped = []
        withdrawnBefore = withdrawnInBin
        withdrawnInBin = []
        updatesInBin = 0
    }

    /// /24 equivalents of a country's visible IPv4 prefixes, overlaps counted once.
    private func slash24s(_ cc: UInt16) -> Double {
        guard var ids = countryPrefixes[cc] else { return 0 }
        if countryUnsorted.contains(cc) {
            ids.sort { state.prefixes[$0] < state.prefixes[$1] }
            countryPrefixes[cc] = ids
            countryUnsorted.remove(cc)
        }
        return slash24Equivalents(of: ids.lazy.filter { self.visible[Int($0)] }.map { self.state.prefixes[$0] })
    }

    private func visiblePrefixes(_ cc: UInt16) -> [UInt32] {
        (countryPrefixes[cc] ?? []).filter { visible[Int($0)] }
    }

    // MARK: Detection

    private func detect(_ cc: UInt16, _ bin: CountryBin) {
        var tracker = outage[cc] ?? OutageTracker(options: options)
        switch tracker.step(bin.visiblePrefixes) {
        case .normal:
            if countryChanged.contains(cc) || lastNormal[cc] == nil { lastNormal[cc] = visiblePrefixes(cc) }
        case .opened:
            events.append(outageEvent(cc, start: bin.time, baseline: tracker.openBaseline ?? 0, value: bin.visiblePrefixes))
            openOutage[cc] = events.count - 1
        case .ongoing:
            if let i = openOutage[cc], Double(bin.visiblePrefixes) <= tracker.lowest, countryChanged.contains(cc) {
                let e = events[i]
                events[i] = outageEvent(cc, start: e.start, baseline: e.baseline, value: bin.visiblePrefixes, keeping: e)
            }
        case .closed:
            if let i = openOutage.removeValue(forKey: cc) { close(i, at: bin.time) }
            lastNormal[cc] = visiblePrefixes(cc)
        }
        outage[cc] = tracker

        // Churn is judged only in bins that carried updates: a bin of RIB entries alone
        // says nothing about churn and must not teach the baseline that churn is zero.
        guard updatesInBin > 0 else { return }
        var unstable = instability[cc] ?? InstabilityTracker(options: options)
        var open = openInstability[cc]
        followInstability(&unstable, open: &open, churn: bin.churn, time: bin.time, country: CountryCode(rawValue: cc), asn: nil)
        instability[cc] = unstable
        openInstability[cc] = open
    }

    /// Steps an instability tracker and opens or closes its event (`open`: the event's index).
    func followInstability(_ tracker: inout InstabilityTracker, open: inout Int?, churn: Int, time: UInt32,
                           country: @autoclosure () -> CountryCode, asn: UInt32?) {
        switch tracker.step(churn) {
        case .opened(let ago):
            var e = Event(country: country(), asn: asn, kind: .instability, severity: .high,
                          start: time - UInt32(ago) * options.binSeconds, end: nil, fractionLost: 0,
                          baseline: tracker.openBaseline, prefixesLost: [], originsAffected: asn.map { [$0] } ?? [],
                          originsUnaffected: [], providersLost: [], peers: [], summary: "")
            e.summary = summary(e)
            events.append(e)
            open = events.count - 1
        case .closed:
            if let i = open { close(i, at: time) }
            open = nil
        case .normal, .ongoing:
            break
        }
    }

    /// Ends event `i` at the start of the bin `time`.
    func close(_ i: Int, at time: UInt32) {
        events[i].end = time
        events[i].summary = summary(events[i])
    }

    /// An outage event with its evidence from the state now.
    private func outageEvent(_ cc: UInt16, start: UInt32, baseline: Double, value: Int, keeping old: Event? = nil) -> Event {
        let before = lastNormal[cc] ?? []
        let nowVisible = Set(visiblePrefixes(cc))
        let lost = before.filter { !nowVisible.contains($0) }
        let lostSet = Set(lost)
        let origin = { (p: UInt32) -> UInt32 in self.state.paths.origins[Int(self.prefixPath[Int(p)])] }
        let affected = Set(lost.map(origin)).subtracting([0])
        let unaffected = Set(nowVisible.map(origin)).subtracting([0]).subtracting(affected)
        let (lostProviders, peers) = evidence(lost: lostSet, remaining: nowVisible, country: cc)
        let fraction = baseline > 0 ? max(0, 1 - Double(value) / baseline) : 0
        var e = Event(country: CountryCode(rawValue: cc), asn: nil, kind: .outage,
                      severity: value == 0 ? .complete : .partial, start: start, end: nil,
                      fractionLost: max(fraction, old?.fractionLost ?? 0), baseline: baseline,
                      prefixesLost: lost.map { state.prefixes[$0] }.sorted(),
                      originsAffected: affected.sorted(), originsUnaffected: unaffected.sorted(),
                      providersLost: lostProviders.sorted(), peers: peers.union(old?.peers ?? []).sorted(), summary: "")
        if old?.severity == .complete { e.severity = .complete }
        e.summary = summary(e)
        return e
    }

    /// The international providers on the lost prefixes' latest paths that no remaining
    /// prefix's path uses, and the peers that withdrew lost prefixes in this bin or the last.
    func evidence(lost: Set<UInt32>, remaining: Set<UInt32>, country cc: UInt16) -> (providers: Set<UInt32>, peers: Set<String>) {
        let kept = Set(remaining.map { provider(ofPath: prefixPath[Int($0)], country: cc) })
        let providers = Set(lost.map { provider(ofPath: prefixPath[Int($0)], country: cc) }).subtracting(kept).subtracting([0])
        var peers: Set<String> = []
        for key in withdrawnInBin.union(withdrawnBefore) where lost.contains(UInt32(truncatingIfNeeded: key)) {
            let p = state.peers[Int(key >> 32)]
            peers.insert("AS\(p.asn) \(p.address) (\(p.collector))")
        }
        return (providers, peers)
    }

    /// The first AS on the path, walking from the origin, registered outside the country
    /// (the origin's, or the prefix's when the origin is unregistered); 0 if none.
    func provider(ofPath path: UInt32, country cc: UInt16) -> UInt32 {
        if let p = providerOfPath[path] { return p }
        guard let registry else { return 0 }
        let asns = state.paths.asns(path)
        guard let origin = asns.last else { return 0 }
        let home = registry.country(ofASN: origin)?.rawValue ?? cc
        var found: UInt32 = 0
        for asn in asns.reversed() where asn != origin {
            if let c = registry.country(ofASN: asn)?.rawValue, c != home {
                found = asn
                break
            }
        }
        providerOfPath[path] = found
        return found
    }

    /// "KP: complete outage 2014-12-22 16:15 to 2014-12-23 01:45 UTC (9h30m): 4 of 4
    /// prefixes of AS131279 withdrawn; sole provider AS4837".
    func summary(_ e: Event) -> String {
        let when: String
        if let end = e.end {
            when = "\(utcMinute(e.start)) to \(utcMinute(end)) UTC (\(durationText(Int(end) - Int(e.start))))"
        } else {
            when = "since \(utcMinute(e.start)) UTC (ongoing)"
        }
        let who = e.asn.map { "AS\($0) (\(e.country))" } ?? "\(e.country)"
        if e.kind == .instability {
            return "\(who): routing instability \(when): churn above \(Int(options.instabilityFactor))x its baseline"
                + " of \(Int(e.baseline.rounded())) per bin"
        }
        let of = e.asn != nil ? "" : e.originsAffected.count == 1 ? " of AS\(e.originsAffected[0])"
            : e.originsAffected.isEmpty ? "" : " of \(e.originsAffected.count) origin ASes"
        var text = "\(who): \(e.severity.rawValue) outage \(when): \(e.prefixesLost.count) of"
            + " \(Int(e.baseline.rounded())) prefixes\(of) withdrawn"
        if !e.originsUnaffected.isEmpty {
            text += "; \(e.originsUnaffected.count) origin AS\(e.originsUnaffected.count == 1 ? "" : "es") stayed up"
            if e.originsUnaffected.count <= 3 { text += " (" + e.originsUnaffected.map { "AS\($0)" }.joined(separator: ", ") + ")" }
        }
        if e.providersLost.count == 1, e.severity == .complete {
            text += "; sole provider AS\(e.providersLost[0])"
        } else if !e.providersLost.isEmpty {
            text += "; providers lost: " + e.providersLost.prefix(5).map { "AS\($0)" }.joined(separator: ", ")
        }
        return text
    }

    /// Memory of the routing state (tables, prefix index, paths) in bytes.
    public var stateBytes: Int { state.memoryBytes }
}

import MRT
import Registry
import Routing

/// One origin AS's figures for one bin.
public struct ASNBin: Sendable, Equatable {
    public var time: UInt32
    /// Its visible IPv4 prefixes (each counted under the origin of its latest path).
    public var visiblePrefixes: Int
    /// Their address space in /24 equivalents, overlaps counted once.
    public var slash24s: Double
    public var announcements: Int
    public var withdrawals: Int
    public var pathChanges: Int
    /// Its prefixes withdrawn and announced again by the same peer within the bin.
    public var flaps: Int

    public init(time: UInt32, visiblePrefixes: Int, slash24s: Double, announcements: Int, withdrawals: Int,
                pathChanges: Int, flaps: Int) {
        self.time = time
        self.visiblePrefixes = visiblePrefixes
        self.slash24s = slash24s
        self.announcements = announcements
        self.withdrawals = withdrawals
        self.pathChanges = pathChanges
        self.flaps = flaps
    }

    /// What the instability detector follows.
    public var churn: Int { withdrawals + flaps + pathChanges }
}

/// The series and outages of origin ASes: the same rules as for countries, for each AS
/// with at least `asnMinimumPrefixes` prefixes in its baseline.
extension Monitor {
    /// Moves the prefixes whose visibility or origin changed to the right origin's count.
    func countOrigins(_ prefixes: [UInt32]) {
        for p in prefixes where !state.prefixes[p].isV6 {
            let origin = visible[Int(p)] ? state.paths.origins[Int(prefixPath[Int(p)])] : 0
            let old = countedOrigin[Int(p)]
            guard origin != old else { continue }
            if old != 0 {
                asnVisible[old, default: 0] -= 1
                asnChanged.insert(old)
                if origin == 0 { becameInvisible[old, default: []].append(p) }
            }
            if origin != 0 {
                asnVisible[origin, default: 0] += 1
                asnChanged.insert(origin)
            }
            countedOrigin[Int(p)] = origin
        }
    }

    /// Stores the origins' bins that changed and runs their detectors.
    func closeOriginBins(_ time: UInt32) {
        var visibleByOrigin: [UInt32: [UInt32]]?  // built once per bin, when needed
        func stillVisible(_ asn: UInt32) -> [UInt32] {
            if visibleByOrigin == nil {
                var out: [UInt32: [UInt32]] = [:]
                for (p, origin) in countedOrigin.enumerated() where origin != 0 { out[origin, default: []].append(UInt32(p)) }
                visibleByOrigin = out
            }
            return visibleByOrigin?[asn] ?? []
        }
        for asn in asnChanged {
            asnSlash24s[asn] = slash24Equivalents(of: stillVisible(asn).map { state.prefixes[$0] }.sorted())
        }
        var flaps: [UInt32: Int] = [:]
        for p in flapped {
            let origin = state.paths.origins[Int(prefixPath[Int(p)])]
            if origin != 0 { flaps[origin, default: 0] += 1 }
        }
        for (asn, count) in asnVisible {
            let c = asnCounts[asn] ?? (0, 0, 0)
            let f = flaps[asn] ?? 0
            let bin = ASNBin(time: time, visiblePrefixes: count, slash24s: asnSlash24s[asn] ?? 0, announcements: c.a,
                             withdrawals: c.w, pathChanges: c.pc, flaps: f)
            if asnLastStored[asn] != count || asnLastStoredSlash24s[asn] != bin.slash24s || c.a + c.w + c.pc + f > 0 {
                asnSeries[asn, default: []].append(bin)
                asnLastStored[asn] = count
                asnLastStoredSlash24s[asn] = bin.slash24s
            }
            guard fullFeedCount > 0 else { continue }
            detectInstability(asn, bin)
            var tracker = asnOutage[asn] ?? OutageTracker(options: options)
            let step = tracker.step(count)
            switch step {
            case .normal:
                break
            case .opened:
                let baseline = tracker.openBaseline ?? 0
                guard baseline >= Double(options.asnMinimumPrefixes) else {
                    tracker = OutageTracker(options: options)  // too small to judge: its history starts again
                    break
                }
                events.append(originEvent(asn, start: time, baseline: baseline, value: count,
                                          lost: becameInvisible[asn] ?? [], stillVisible: stillVisible(asn)))
                openASNOutage[asn] = events.count - 1
            case .ongoing:
                if let i = openASNOutage[asn], let more = becameInvisible[asn] {
                    let e = events[i]
                    let lost = e.prefixesLost.compactMap { state.prefixes.find($0) } + more
                    events[i] = originEvent(asn, start: e.start, baseline: e.baseline, value: count, lost: lost,
                                            stillVisible: stillVisible(asn), keeping: e)
                }
            case .closed:
                if let i = openASNOutage.removeValue(forKey: asn) { close(i, at: time) }
            }
            asnOutage[asn] = tracker
        }
        for (asn, c) in asnCounts where asnVisible[asn] == nil {
            let bin = ASNBin(time: time, visiblePrefixes: 0, slash24s: 0, announcements: c.a, withdrawals: c.w,
                             pathChanges: c.pc, flaps: flaps[asn] ?? 0)
            asnSeries[asn, default: []].append(bin)
            asnLastStored[asn] = 0
            asnLastStoredSlash24s[asn] = 0
            if fullFeedCount > 0 { detectInstability(asn, bin) }
        }
        asnCounts = [:]
        asnChanged = []
        becameInvisible = [:]
    }

    /// The instability rule for one origin AS, in bins that carried updates.
    private func detectInstability(_ asn: UInt32, _ bin: ASNBin) {
        guard updatesInBin > 0 else { return }
        var tracker = asnInstability[asn] ?? InstabilityTracker(options: options)
        var open = openASNInstability[asn]
        followInstability(&tracker, open: &open, churn: bin.churn, time: bin.time,
                          country: registry?.country(ofASN: asn) ?? CountryCode(rawValue: 0), asn: asn)
        asnInstability[asn] = tracker
        openASNInstability[asn] = open
    }

    /// An outage of one origin AS with its evidence; its country is the AS's registered one.
    func originEvent(_ asn: UInt32, start: UInt32, baseline: Double, value: Int, lost: [UInt32],
                     stillVisible: [UInt32], keeping old: Event? = nil) -> Event {
        let cc = registry?.country(ofASN: asn)?.rawValue ?? lost.first.map { prefixCountry[Int($0)] } ?? 0
        let lostSet = Set(lost)
        let (providers, peers) = evidence(lost: lostSet, remaining: Set(stillVisible), country: cc)
        let fraction = baseline > 0 ? max(0, 1 - Double(value) / baseline) : 0
        var e = Event(country: CountryCode(rawValue: cc), asn: asn, kind: .outage,
                      severity: value == 0 || old?.severity == .complete ? .complete : .partial, start: start, end: nil,
                      fractionLost: max(fraction, old?.fractionLost ?? 0), baseline: baseline,
                      prefixesLost: lostSet.map { state.prefixes[$0] }.sorted(), originsAffected: [asn],
                      originsUnaffected: [], providersLost: providers.sorted(),
                      peers: peers.union(old?.peers ?? []).sorted(), summary: "")
        e.summary = summary(e)
        return e
    }
}

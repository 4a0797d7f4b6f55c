import MRT
import Registry
import Routing

/// One origin AS's figures for one bin.
public struct ASNBin: Sendable, Equatable {
    public var time: UInt32
    /// Its visible IPv4 prefixes (each counted under the origin of its latest path).
    public var visiblePrefixes: Int
    public var announcements: Int
    public var withdrawals: Int
    public var pathChanges: Int

    public init(time: UInt32, visiblePrefixes: Int, announcements: Int, withdrawals: Int, pathChanges: Int) {
        self.time = time
        self.visiblePrefixes = visiblePrefixes
        self.announcements = announcements
        self.withdrawals = withdrawals
        self.pathChanges = pathChanges
    }
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
                if origin == 0 { becameInvisible[old, default: []].append(p) }
            }
            if origin != 0 { asnVisible[origin, default: 0] += 1 }
            countedOrigin[Int(p)] = origin
        }
    }

    /// Stores the origins' bins that changed and runs their outage detector.
    func closeOriginBins(_ time: UInt32) {
        var visibleByOrigin: [UInt32: [UInt32]]?  // built once, when an event needs it
        func stillVisible(_ asn: UInt32) -> [UInt32] {
            if visibleByOrigin == nil {
                var out: [UInt32: [UInt32]] = [:]
                for (p, origin) in countedOrigin.enumerated() where origin != 0 { out[origin, default: []].append(UInt32(p)) }
                visibleByOrigin = out
            }
            return visibleByOrigin?[asn] ?? []
        }
        for (asn, count) in asnVisible {
            let c = asnCounts[asn] ?? (0, 0, 0)
            if asnLastStored[asn] != count || c.a + c.w + c.pc > 0 {
                asnSeries[asn, default: []].append(ASNBin(time: time, visiblePrefixes: count, announcements: c.a,
                                                          withdrawals: c.w, pathChanges: c.pc))
                asnLastStored[asn] = count
            }
            guard fullFeedCount > 0 else { continue }
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
                if let i = openASNOutage.removeValue(forKey: asn) {
                    events[i].end = time
                    events[i].summary = summary(events[i])
                }
            }
            asnOutage[asn] = tracker
        }
        for (asn, c) in asnCounts where asnVisible[asn] == nil {
            asnSeries[asn, default: []].append(ASNBin(time: time, visiblePrefixes: 0, announcements: c.a,
                                                      withdrawals: c.w, pathChanges: c.pc))
            asnLastStored[asn] = 0
        }
        asnCounts = [:]
        becameInvisible = [:]
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

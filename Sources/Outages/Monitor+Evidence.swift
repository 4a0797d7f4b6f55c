import Connectivity
import MRT
import Registry

/// The evidence of events and their one-line summaries.
extension Monitor {
    func country(of i: Int32) -> CountryCode? {
        switch series[Int(i)].id.subject {
        case .country(let cc): return cc
        case .asn(let asn): return registry?.country(ofASN: asn)
        }
    }

    func asn(of i: Int32) -> UInt32? {
        if case .asn(let asn) = series[Int(i)].id.subject { return asn }
        return nil
    }

    /// Peers as "AS<asn> <address> (<collector>)", and their collectors, sorted.
    func peerNames(_ ids: Set<UInt32>) -> (peers: [String], collectors: [String]) {
        let keys = ids.map { state.peers[Int($0)] }
        return (keys.map { "AS\($0.asn) \($0.address) (\($0.collector))" }.sorted(), Set(keys.map(\.collector)).sorted())
    }

    /// An outage event with its evidence from the state now: the prefixes visible at the
    /// last normal bin and not now, their origins, the international providers only they
    /// used, and the peers that withdrew the series' prefixes in this bin or the one before.
    func outageEvent(_ i: Int32, _ o: OpenOutage, keeping old: Event?) -> Event {
        let s = series[Int(i)]
        let nowVisible = visiblePrefixes(i)
        let isCountry = s.isCountry
        let lost = s.sinceNormal.compactMap { p, was in was && !isMember(p, of: i, country: isCountry) ? p : nil }
            .sorted { state.prefixes[$0] < state.prefixes[$1] }
        let origin = { (p: UInt32) -> UInt32 in self.state.paths.origins[Int(self.prefixPath[Int(p)])] }
        let home = country(of: i)
        var affected: Set<UInt32> = [], unaffected: Set<UInt32> = []
        if let asn = asn(of: i) {
            affected = [asn]
        } else {
            affected = Set(lost.map(origin)).subtracting([0])
            unaffected = Set(nowVisible.map(origin)).subtracting([0]).subtracting(affected)
        }
        let homeCode = home?.rawValue ?? lost.first.flatMap { countrySeries[Int($0)] >= 0 ? countryCode(of: $0) : nil } ?? 0
        let kept = Set(nowVisible.map { provider(ofPath: prefixPath[Int($0)], home: homeCode) })
        let providers = Set(lost.map { provider(ofPath: prefixPath[Int($0)], home: homeCode) }).subtracting(kept).subtracting([0])
        // Every peer that withdrew since the outage opened: what an earlier version of the event named, and more.
        let (peers, collectors) = peerNames(o.peers.union(s.binPeers).union(s.lastBinPeers))
        let fraction = o.baseline > 0 ? max(0, 1 - o.lowest / o.baseline) : 0
        let lostPrefixes = Set(lost.map { state.prefixes[$0] }).union(old?.prefixesLost ?? [])
        var e = Event(country: home, asn: asn(of: i), family: s.id.family, kind: .outage,
                      severity: o.lowest == 0 || old?.severity == .complete ? .complete : .partial,
                      start: o.start, end: nil, lastSeen: old?.lastSeen, fractionLost: max(fraction, old?.fractionLost ?? 0),
                      baseline: o.baseline, prefixesLost: lostPrefixes.sorted(), originsAffected: affected.union(old?.originsAffected ?? []).sorted(),
                      originsUnaffected: unaffected.subtracting(old?.originsAffected ?? []).sorted(),
                      providersLost: providers.union(old?.providersLost ?? []).sorted(), peers: peers,
                      collectors: collectors, summary: "")
        e.summary = summary(e)
        return e
    }

    private func countryCode(of prefix: UInt32) -> UInt16? {
        guard case .country(let cc) = series[Int(countrySeries[Int(prefix)])].id.subject else { return nil }
        return cc.rawValue
    }

    /// The international provider of a path (`ProviderWalk`); 0 if none.
    func provider(ofPath path: UInt32, home: UInt16) -> UInt32 {
        guard let registry else { return 0 }
        let asns = state.paths.asns(path)
        guard let (p, _) = ProviderWalk.find(in: asns, home: home, country: { registry.country(ofASN: $0)?.rawValue ?? 0 }) else { return 0 }
        return asns[p]
    }

    /// "KP: complete outage 2014-12-22 16:15 to 2014-12-23 01:45 UTC (9h30m): 4 of 4
    /// prefixes of AS131279 withdrawn; sole provider AS4837".
    func summary(_ e: Event) -> String {
        let when: String
        if let end = e.end {
            when = "\(utcMinute(e.start)) to \(utcMinute(end)) UTC (\(durationText(Int(end) - Int(e.start))))"
        } else {
            when = "since \(utcMinute(e.start)) UTC (ongoing, \(durationText(Int(e.lastSeen) - Int(e.start))))"
        }
        let cc = e.country?.description ?? "no country"
        var who = e.asn.map { "AS\($0) (\(cc))" } ?? cc
        if e.family == .ipv6 { who += " IPv6" }
        if e.kind == .instability {
            var text = "\(who): routing instability \(when): \(e.flaps) flaps"
            if e.dips > 0 { text += ", \(e.dips) dip\(e.dips == 1 ? "" : "s") (up to \(Int((e.fractionLost * 100).rounded()))% lost)" }
            if !e.peers.isEmpty { text += "; seen by \(e.peers.count) peer\(e.peers.count == 1 ? "" : "s") on \(e.collectors.count) collector\(e.collectors.count == 1 ? "" : "s")" }
            return text
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

    /// Hands over the bins closed and the events changed since the last call, and keeps
    /// only the open events (the detectors' references are renumbered).
    public func takeResults() -> (bins: [(series: SeriesID, bin: SeriesBin)], events: [Event]) {
        let out = (bins, events)
        bins = []
        // Most calls find no event closed: every reference stays as it is.
        guard events.contains(where: { $0.end != nil }) else { return out }
        var renumber: [Int: Int] = [:]
        var open: [Event] = []
        for (k, e) in events.enumerated() where e.end == nil {
            renumber[k] = open.count
            open.append(e)
        }
        events = open
        for s in series {
            for k in s.outages.indices { s.outages[k].event = s.outages[k].event.flatMap { renumber[$0] } }
            s.instability = s.instability.flatMap { renumber[$0] }
        }
        return out
    }
}

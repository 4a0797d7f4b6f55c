/// The detectors, run on each series as its bin closes (README "Detection rules").
extension Monitor {
    func judge(_ i: Int32, _ bin: SeriesBin) {
        let s = series[Int(i)]
        let r = s.rules
        let width = options.binSeconds
        let end = bin.time + width
        if s.changed { s.normalStale = true }
        // A change in which peers count moves the baselines with the series: a loss always
        // (it is never an outage); a rise only while no outage is open (under an outage it may
        // be the recovery, which must close it).
        if s.rebase < 0 || (s.rebase > 0 && s.outages.isEmpty) {
            s.baseline.shift(s.rebase)
            for k in s.outages.indices {
                s.outages[k].baseline = max(0, s.outages[k].baseline + Double(s.rebase))
                s.outages[k].lowest = max(0, s.outages[k].lowest + Double(s.rebase))
            }
        }
        for k in s.outages.indices { s.outages[k].peers.formUnion(s.binPeers) }
        guard bin.fullFeedPeers > 0 else { return }  // a gap in the data: nothing is judged
        let v = Double(s.visible)
        // Flapping now, or instability under way or being confirmed: only a long loss is an outage.
        let unsettled = s.instability != nil || s.highRun > 0 || s.flaps > 0

        // Recoveries: the innermost outages first.
        while let o = s.outages.last, v >= r.outageThreshold * o.baseline {
            s.outages.removeLast()
            if let e = o.event {
                closeEvent(e, at: bin.time)
            } else if s.instability != nil || s.highRun > 0 {
                s.evidence.dips += 1
            }
        }
        if s.outages.isEmpty { s.relearning = false }

        // Deeper losses, in the innermost outage's first baseline period (after it, and in
        // an outer outage, a deeper loss is an event of its own); outages that became significant.
        for k in s.outages.indices {
            let deeper = k == s.outages.count - 1 && bin.time - s.outages[k].start < options.baselineSeconds
                && v < s.outages[k].lowest
            if deeper { s.outages[k].lowest = v }
            if let e = s.outages[k].event {
                if deeper { events[e] = outageEvent(i, s.outages[k], keeping: events[e]) }
                events[e].lastSeen = end
                events[e].summary = summary(events[e])
            } else if end - s.outages[k].start >= r.outageDuration || (v == 0 && !unsettled) {
                report(i, &s.outages[k], lastSeen: end)
            }
        }

        // A new loss, against the baseline being learned (the usual one, or, under an
        // outage open for a whole baseline period, one learned at its level).
        let learning = s.outages.last.map { bin.time - $0.start >= options.baselineSeconds } ?? true
        if learning {
            if !s.outages.isEmpty, !s.relearning {
                s.relearning = true
                s.baseline = Baseline(capacity: options.baselineBins)
            }
            let b = s.baseline.median
            if s.baseline.count >= options.minimumHistory, b >= Double(r.minimumPrefixes), v < r.outageThreshold * b {
                var o = OpenOutage(start: bin.time, baseline: b, lowest: v, event: nil, peers: s.binPeers.union(s.lastBinPeers))
                if width >= r.outageDuration || (v == 0 && !unsettled) { report(i, &o, lastSeen: end) }
                s.outages.append(o)
            } else {
                s.baseline.add(s.visible)
                if s.normalStale {
                    s.sinceNormal.removeAll()
                    s.normalStale = false
                }
            }
        }
        judgeInstability(i, bin)
    }

    private func report(_ i: Int32, _ o: inout OpenOutage, lastSeen: UInt32) {
        var e = outageEvent(i, o, keeping: nil)
        e.lastSeen = lastSeen
        e.summary = summary(e)
        events.append(e)
        o.event = events.count - 1
    }

    /// Instability: bins in which the prefixes that flap or change path are at least
    /// `instabilityShare` of the series, `instabilityMinimum`, and more than
    /// `instabilityFactor` times their baseline, for `instabilityDuration` without a pause
    /// of `instabilityQuiet`. It starts at the first such bin and ends at the first bin of
    /// a pause that long; dips inside it are part of it. Judged only in bins that carried updates.
    private func judgeInstability(_ i: Int32, _ bin: SeriesBin) {
        guard updatesInBin > 0 else { return }
        let s = series[Int(i)]
        let r = s.rules
        let width = options.binSeconds
        let v = Double(s.visible)
        let size = max(s.baseline.count > 0 ? s.baseline.median : 0, v)
        let c = s.unstable
        let high = s.churnBaseline.count >= options.minimumHistory && size >= Double(r.minimumPrefixes)
            && c >= r.instabilityMinimum && Double(c) >= r.instabilityShare * size
            && Double(c) > r.instabilityFactor * s.churnBaseline.median
        if high, s.instability == nil, s.highRun == 0 { s.evidence = InstabilityEvidence(start: bin.time) }
        if high || s.instability != nil || s.highRun > 0 {
            s.evidence.flaps += s.flaps
            s.evidence.peers.formUnion(s.binPeers)
            let reference = s.outages.first?.baseline ?? size
            if reference > 0 { s.evidence.fractionLost = max(s.evidence.fractionLost, 1 - v / reference) }
        }
        if let e = s.instability {
            if high {
                s.quietRun = 0
            } else {
                s.quietRun += 1
            }
            fill(&events[e], from: s.evidence, lastSeen: bin.time + width)
            if s.quietRun > 0, UInt32(s.quietRun) * width >= r.instabilityQuiet {
                closeEvent(e, at: bin.time - UInt32(s.quietRun - 1) * width)
                s.instability = nil
                s.quietRun = 0
                s.evidence = InstabilityEvidence()
            }
        } else if high {
            // Under way, not yet confirmed: it is once it has lasted `instabilityDuration`.
            s.highRun += 1
            s.quietRun = 0
            s.highValues.append(Int32(clamping: c))
            if bin.time + width - s.evidence.start >= r.instabilityDuration {
                var e = Event(country: country(of: i), asn: asn(of: i), family: s.id.family, kind: .instability,
                              severity: .high, start: s.evidence.start, end: nil, fractionLost: 0, baseline: size,
                              prefixesLost: [], originsAffected: asn(of: i).map { [$0] } ?? [], originsUnaffected: [],
                              providersLost: [], peers: [], summary: "")
                fill(&e, from: s.evidence, lastSeen: bin.time + width)
                events.append(e)
                s.instability = events.count - 1
                s.highRun = 0
                s.highValues = []
            }
        } else if s.highRun > 0 {
            // A quiet bin while it is being confirmed: it is called off after `instabilityQuiet`.
            s.quietRun += 1
            s.highValues.append(Int32(clamping: c))
            if UInt32(s.quietRun) * width >= r.instabilityQuiet {
                for h in s.highValues { s.churnBaseline.add(Int(h)) }  // a short burst was normal after all
                s.highValues = []
                s.highRun = 0
                s.quietRun = 0
            }
        } else {
            s.churnBaseline.add(c)
        }
    }

    private func fill(_ e: inout Event, from ev: InstabilityEvidence, lastSeen: UInt32) {
        e.flaps = ev.flaps
        e.dips = ev.dips
        e.fractionLost = max(0, ev.fractionLost)
        (e.peers, e.collectors) = peerNames(ev.peers)
        e.lastSeen = lastSeen
        e.summary = summary(e)
    }

    /// Ends event `e` at the start of the bin `time`.
    func closeEvent(_ e: Int, at time: UInt32) {
        events[e].end = time
        events[e].lastSeen = max(events[e].lastSeen, time)
        events[e].summary = summary(events[e])
    }
}

import Foundation
import MRT
import MRTArchive
import Outages
import Pipeline
import Registry
import Routing
import ScenarioSupport
import Store
import Testing
import TestSupport

/// What every monitor scenario starts from: the real jinx table of AS30844 for KP, SY and
/// IQ and a sample of the rest of the world, copied to 4 full-feed peers of a RouteViews
/// collector and 3 of a RIS collector (each with its own ASN prepended), the 2014 registry,
/// and the real IPv6 routes of the RIB's AS6968 peer announced by every peer.
struct ScenarioFixture: @unchecked Sendable {
    let base: BaseTable
    let registry: RegistryDatabase
    let byCountry: [String: [Prefix]]
    let ipv6: [(Prefix, [UInt32])]
    let t0 = BaseTable.jinxTime
    let hour: UInt32 = 3600

    static let shared: Result<ScenarioFixture, Error> = Result { try ScenarioFixture() }

    private init() throws {
        let registry = try RegistryDatabase.load(directory: Jinx.registry, near: BaseTable.jinxTime)
        let watched: Set<String> = ["KP", "SY", "IQ"]
        base = try BaseTable.load(keeping: { p in
            if let cc = registry.country(of: p), watched.contains(cc.description) { return true }
            return BaseTable.sampled(p, oneIn: 40, seed: 7)
        })
        self.registry = registry
        var byCountry: [String: [Prefix]] = [:]
        for p in base.prefixes { if let cc = registry.country(of: p) { byCountry[cc.description, default: []].append(p) } }
        self.byCountry = byCountry
        var v6: [(Prefix, [UInt32])] = []
        var buffer: [UInt32] = []
        let stream = ElementStream(reader: MRTReader(source: try Input.open(Jinx.rib).source, name: Jinx.rib))
        try stream.forEach { e in
            guard e.prefix.isV6, e.peerASN == 6968, e.attributes.flattenedPath(into: &buffer) == false else { return }
            v6.append((e.prefix, buffer))
        }
        ipv6 = v6
    }

    /// A scenario from 2014-05-30 22:00 for `hours`: RIBs every 2 hours (RouteViews) and 8
    /// hours (RIS) unless said, background churn, the IPv6 routes; `body` adds the events.
    func scenario(hours: UInt32, churn: Churn = Churn(), ribEvery: UInt32 = 2, _ body: (ScenarioWriter) -> Void) throws
        -> (ScenarioWriter, [ScenarioFile]) {
        let w = try ScenarioWriter(base: base, start: t0, end: t0 + hours * hour)
        w.writeRIBs(collector: "route-views.synth", every: ribEvery * hour)
        w.writeRIBs(collector: "rrc99", every: 4 * ribEvery * hour)
        var c = churn
        c.excluding += byCountry["KP"]! + byCountry["SY"]! + byCountry["IQ"]! + ipv6.map(\.0)
        w.background(churn: c)
        for (p, path) in ipv6 { w.announce([p], at: t0, path: path) }
        body(w)
        return (w, try w.finish())
    }

    /// Replays a scenario's files into a monitor in one go; returns its bins and events.
    func replay(_ files: [ScenarioFile], options: DetectorOptions = DetectorOptions()) throws
        -> (bins: [(series: SeriesID, bin: SeriesBin)], events: [Event], monitor: Monitor) {
        let m = Jinx.monitor(options)
        try Jinx.replay(files.map(\.path), into: m)
        let (bins, events) = m.takeResults()
        return (bins, events, m)
    }

    func country(_ cc: String) -> SeriesSubject { .country(CountryCode(cc)!) }
}

@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"), .serialized)
struct MonitorScenarioTests {
    var f: ScenarioFixture { get throws { try ScenarioFixture.shared.get() } }

    /// KP's routes flap for hours (withdrawn for 200 s every 7 minutes by every peer), then
    /// it goes dark for 2 hours: one instability event holding the dips, then one outage;
    /// the same for its origin AS131279; nothing else anywhere.
    @Test func flappingIsOneInstabilityEventThenTheOutageIsOne() throws {
        let f = try f
        let kp = f.byCountry["KP"]!
        let flapFrom = f.t0 + 3 * f.hour, flapTo = f.t0 + 9 * f.hour
        let down = f.t0 + 10 * f.hour, up = f.t0 + 12 * f.hour
        let (w, files) = try f.scenario(hours: 14) { w in
            w.flap(kp, from: flapFrom, to: flapTo, every: 420, down: 200)
            w.withdraw(kp, at: down + 30)
            w.announce(kp, at: up + 30)
        }
        defer { w.remove() }
        let (bins, events, _) = try f.replay(files)
        let summaries = events.map(\.summary)
        #expect(events.count == 4, "\(summaries)")
        let unstable = events.filter { $0.kind == .instability }
        #expect(Set(unstable.map { $0.asn }) == [nil, 131279], "\(summaries)")
        for e in unstable {
            #expect(e.country?.description == "KP" && e.start == flapFrom && e.end != nil)
            // It ends at the first bin of its quiet half hour: the bin after the last flap's
            // (the last cycle withdraws at 06:57:00 and announces again at 07:00:20).
            let lastUp = flapFrom + (flapTo - 1 - flapFrom) / 420 * 420 + 200
            #expect(e.end == (lastUp / 300 + 1) * 300 && lastUp == flapTo + 20, "\(e.summary)")
            #expect(e.dips > 0 && e.flaps > 100 && e.peers.count == 7 && e.collectors == ["route-views.synth", "rrc99"], "\(e.summary)")
            #expect(e.fractionLost == 1, "\(e.summary)")
        }
        let outages = events.filter { $0.kind == .outage }
        #expect(Set(outages.map { $0.asn }) == [nil, 131279], "\(summaries)")
        for e in outages {
            #expect(e.severity == .complete && e.start == down && e.end == up, "\(e.summary)")
            #expect(e.prefixesLost == kp.sorted() && e.providersLost == [4837] && e.peers.count == 7, "\(e.summary)")
        }
        let country = try #require(outages.first { $0.asn == nil })
        #expect(country.summary == "KP: complete outage 2014-05-31 08:00 to 2014-05-31 10:00 UTC (2h0m): 4 of 4 prefixes of AS131279 withdrawn; sole provider AS4837")
        // The series shows the dips and the outage.
        let series = bins.filter { $0.series == SeriesID(f.country("KP")) }.map(\.bin)
        #expect(series.contains { $0.time > flapFrom && $0.time < flapTo && $0.visiblePrefixes == 0 })
        #expect(series.filter { $0.time >= down && $0.time < up }.allSatisfy { $0.visiblePrefixes == 0 })
        #expect(series.first { $0.time == up }?.visiblePrefixes == 4)
    }

    /// One peer withdraws KP's and half of IQ's prefixes for 3 hours; the other six keep
    /// them: no event at any level. A full-feed peer's session resets and its table refills;
    /// the RIS collector falls silent for 3 hours: a gap for its peers, shown in the bins,
    /// never an outage. And over the 14 hours of background churn: nothing at all.
    @Test func onePeerAResetAndASilentCollectorRaiseNothing() throws {
        let f = try f
        let one = ScenarioPeer.standard[1]
        let iq = f.byCountry["IQ"]!
        let reset = ScenarioPeer.standard[2]
        let (w, files) = try f.scenario(hours: 14) { w in
            w.withdraw(f.byCountry["KP"]! + iq.prefix(iq.count / 2), peers: [one], at: f.t0 + 3 * f.hour)
            w.announce(f.byCountry["KP"]! + iq.prefix(iq.count / 2), peers: [one], at: f.t0 + 6 * f.hour)
            w.sessionDown(reset, at: f.t0 + 5 * f.hour + 100)
            w.sessionUp(reset, at: f.t0 + 5 * f.hour + 700)
            w.silence("rrc99", from: f.t0 + 7 * f.hour, to: f.t0 + 10 * f.hour)
        }
        defer { w.remove() }
        let (bins, events, m) = try f.replay(files)
        #expect(events.isEmpty, "\(events.map(\.summary))")
        let kp = bins.filter { $0.series == SeriesID(f.country("KP")) }.map(\.bin)
        #expect(kp.filter { !$0.isGap }.allSatisfy { $0.visiblePrefixes == 4 }, "\(kp.map(\.visiblePrefixes))")
        // The silence and the reset are in the bins: fewer peers counted, no fewer prefixes.
        let quiet = kp.filter { $0.time >= f.t0 + 8 * f.hour && $0.time < f.t0 + 10 * f.hour }
        #expect(!quiet.isEmpty && quiet.allSatisfy { $0.collectors == 1 && $0.peers == 4 }, "\(quiet.map(\.peers))")
        let afterReset = kp.filter { $0.time >= f.t0 + 5 * f.hour + 600 && $0.time < f.t0 + 6 * f.hour }
        #expect(!afterReset.isEmpty && afterReset.allSatisfy { $0.peers == 6 })
        #expect(kp.last?.peers == 7)
        // The budget: fewer than one origin AS event per 1,000 monitored ASes per day (here: none).
        let monitored = Set(bins.compactMap { if case .asn(let a) = $0.series.subject, $0.bin.visiblePrefixes > 0 { a } else { nil } })
        #expect(monitored.count > 1000)
        _ = m
    }

    /// A hole in all of the data (both collectors silent for 3 hours) while KP is down and
    /// comes back: every table waits for the next RIB dump, the bins in between are gaps, the
    /// recovery seen by that RIB closes the outage, and nothing else is raised.
    @Test func aRecoveryAcrossAHoleInTheDataClosesTheOutage() throws {
        let f = try f
        let kp = f.byCountry["KP"]!
        let (w, files) = try f.scenario(hours: 14) { w in
            w.withdraw(kp, at: f.t0 + 4 * f.hour + 30)
            w.silence("route-views.synth", from: f.t0 + 6 * f.hour, to: f.t0 + 9 * f.hour)
            w.silence("rrc99", from: f.t0 + 6 * f.hour, to: f.t0 + 9 * f.hour)
            w.announce(kp, at: f.t0 + 7 * f.hour)
        }
        defer { w.remove() }
        let (bins, events, _) = try f.replay(files)
        #expect(events.count == 2, "\(events.map(\.summary))")  // KP and AS131279
        for e in events {
            // The first RIB dump after the hole is RouteViews' at 08:00 (t0 + 10 h): it sees KP again.
            #expect(e.kind == .outage && e.severity == .complete && e.start == f.t0 + 4 * f.hour && e.end == f.t0 + 10 * f.hour,
                    "\(e.summary)")
        }
        let kpBins = bins.filter { $0.series == SeriesID(f.country("KP")) }.map(\.bin)
        #expect(kpBins.filter { $0.time >= f.t0 + 9 * f.hour && $0.time < f.t0 + 10 * f.hour }.allSatisfy { $0.isGap })
        #expect(kpBins.first { $0.time == f.t0 + 10 * f.hour }?.visiblePrefixes == 4)
        #expect(!kpBins.contains { $0.time > f.t0 + 6 * f.hour && $0.time < f.t0 + 9 * f.hour }, "no bins for the hole")
        let sy = bins.filter { $0.series == SeriesID(f.country("SY")) }.map(\.bin)
        #expect(sy.last?.visiblePrefixes == f.byCountry["SY"]!.count)
    }

    /// An IPv6-only outage: a country's IPv6 prefixes withdrawn for 2 hours, its IPv4 ones untouched.
    @Test func anIPv6OnlyOutage() throws {
        let f = try f
        var byCC: [String: [Prefix]] = [:]
        for (p, _) in f.ipv6 { if let cc = f.registry.country(of: p) { byCC[cc.description, default: []].append(p) } }
        let (cc, gone) = try #require(byCC.max { $0.value.count != $1.value.count ? $0.value.count < $1.value.count : $0.key > $1.key })
        #expect(gone.count >= 3)
        let down = f.t0 + 5 * f.hour, up = f.t0 + 7 * f.hour
        let (w, files) = try f.scenario(hours: 9) { w in
            w.withdraw(gone, at: down + 10)
            for (p, path) in f.ipv6 where gone.contains(p) { w.announce([p], at: up + 10, path: path) }
        }
        defer { w.remove() }
        let (bins, events, _) = try f.replay(files)
        let country = events.filter { $0.asn == nil }
        #expect(country.count == 1, "\(events.map(\.summary))")
        let e = try #require(country.first)
        #expect(e.family == .ipv6 && e.country?.description == cc && e.severity == .complete && e.start == down && e.end == up)
        #expect(Set(e.prefixesLost) == Set(gone))
        #expect(events.allSatisfy { $0.family == .ipv6 && $0.kind == .outage })
        let v6 = bins.filter { $0.series == SeriesID(f.country(cc), .ipv6) }.map(\.bin)
        #expect(v6.first { $0.time == down - 300 }?.visiblePrefixes == gone.count)
        #expect(v6.first { $0.time == down }?.visiblePrefixes == 0)
    }

    /// A week-long outage stays one outage; a permanent partial loss is reported, stays
    /// ongoing, and a complete outage of the same country a day later is reported too.
    @Test func longLossesAndADeeperOneLater() throws {
        let f = try f
        let kp = f.byCountry["KP"]!, sy = f.byCountry["SY"]!
        let kpDown = f.t0 + 2 * f.hour, kpUp = kpDown + 7 * 86_400
        let partial = f.t0 + 3 * f.hour
        let lost = Array(sy.prefix(sy.count * 3 / 10 + 1))
        let complete = partial + 30 * f.hour, back = complete + 3 * f.hour
        let (w, files) = try f.scenario(hours: 8 * 24, churn: Churn(pathChangesPerMinute: 2, withdrawalsPerMinute: 1), ribEvery: 12) { w in
            w.withdraw(kp, at: kpDown + 10)
            w.announce(kp, at: kpUp + 10)
            w.withdraw(lost, at: partial + 10)
            w.withdraw(Array(sy.dropFirst(lost.count)), at: complete + 10)
            w.announce(Array(sy.dropFirst(lost.count)), at: back + 10)
        }
        defer { w.remove() }
        let (_, events, _) = try f.replay(files)
        let countries = events.filter { $0.asn == nil }
        #expect(countries.count == 3, "\(countries.map(\.summary))")
        let k = try #require(countries.first { $0.country?.description == "KP" })
        #expect(k.start == kpDown && k.end == kpUp && k.severity == .complete)
        let s = countries.filter { $0.country?.description == "SY" }.sorted { $0.start < $1.start }
        #expect(s.count == 2)
        #expect(s.first?.start == partial && s.first?.end == nil && s.first?.severity == .partial, "\(s.map(\.summary))")
        #expect(s.last?.start == complete && s.last?.end == back && s.last?.severity == .complete, "\(s.map(\.summary))")
        // Ongoing at the end of the data: the last bin closed (by the RIB dumps at the end) ends 7 days 21 hours after it started.
        #expect(s.first?.summary == "SY: partial outage since 2014-05-31 01:00 UTC (ongoing, 7d21h0m): 28 of 93 prefixes of 3 origin ASes withdrawn", "\(s.first?.summary ?? "")")
    }
}

/// State that resumes: the same two days ingested in one run and in eight consecutive runs
/// (each given every collector's files up to the same time) give identical bins and events.
@Suite(.enabled(if: TestData.available, "../shared/data is not beside the checkout"))
struct ResumeTests {
    @Test func oneRunAndEightRunsGiveTheSameDatabase() throws {
        let f = try ScenarioFixture.shared.get()
        let kp = f.byCountry["KP"]!, iq = f.byCountry["IQ"]!
        let (w, files) = try f.scenario(hours: 48) { w in
            w.flap(kp, from: f.t0 + 5 * f.hour, to: f.t0 + 9 * f.hour, every: 420, down: 200)
            w.withdraw(kp, at: f.t0 + 20 * f.hour + 30)  // open across several runs
            w.announce(kp, at: f.t0 + 30 * f.hour + 30)
            w.withdraw(Array(iq.prefix(300)), at: f.t0 + 26 * f.hour + 10)  // still open at the end
            w.sessionDown(ScenarioPeer.standard[0], at: f.t0 + 11 * f.hour)
            w.sessionUp(ScenarioPeer.standard[0], at: f.t0 + 11 * f.hour + 600)
            w.silence("rrc99", from: f.t0 + 13 * f.hour, to: f.t0 + 16 * f.hour)
        }
        defer { w.remove() }
        func ingest(_ runs: [[ScenarioFile]]) throws -> String {
            let (dir, db) = try Jinx.tempDatabase()
            defer { try? FileManager.default.removeItem(at: dir) }
            for run in runs {
                let report = try IngestPipeline(store: try SQLiteStore(path: db), options: IngestOptions(registryDirectory: Jinx.registry))
                    .run(files: run.map(\.path))
                #expect(report.failed.isEmpty && report.skipped.isEmpty && report.ingested.count == run.count)
            }
            return try StoreContents.text(of: db)
        }
        let one = try ingest([files])
        let period = 6 * f.hour
        let eight = (0..<8).map { k in files.filter { min(($0.start - f.t0) / period, 7) == UInt32(k) } }
        #expect(eight.allSatisfy { !$0.isEmpty } && eight.reduce(0) { $0 + $1.count } == files.count)
        let resumed = try ingest(eight)
        #expect(one.contains("KP: complete outage") && one.contains("IQ: partial outage since") && one.contains("KP: routing instability"),
                "\(one.prefix(3000))")
        #expect(one == resumed)
        if one != resumed {
            let a = one.split(separator: "\n"), b = resumed.split(separator: "\n")
            let first = zip(a, b).first { $0 != $1 }
            Issue.record("first difference: \(first.map { "\($0.0)\n vs \($0.1)" } ?? "lengths \(a.count) vs \(b.count)")")
        }
    }
}

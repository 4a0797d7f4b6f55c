import Connectivity
import MRT
import Registry
import Routing

/// The monitor's whole state as bytes, so that the next ingest continues exactly where
/// this one stopped: the routing tables, every prefix's carriers and baselines, every
/// series' detectors, the open bin and the open events.
extension Monitor {
    static let magic: [UInt8] = Array("BLACKOUT-CHECKPOINT".utf8)
    static let version: UInt32 = 2

    /// Writes the checkpoint. Call `takeResults` first: only open events are kept.
    public func checkpoint() -> [UInt8] {
        settleSleepers()  // every baseline as judging each bin would have left it
        for i in series.indices { sortPrefixes(Int32(i)) }  // the same state, the same bytes
        var c = CheckpointEncoder()
        for b in Self.magic { c.u8(b) }
        c.u32(Self.version)
        Self.encode(options, to: &c)
        c.u32(registryTime)
        c.bool(registry != nil)
        state.encode(to: &c)
        c.u32s(prefixPath)
        c.u32s(countrySeries.map { UInt32(bitPattern: $0) })
        c.u32s(originSeries.map { UInt32(bitPattern: $0) })
        c.u16s(carriers)
        c.u16s(expected)
        c.u16s(expectedFullFeed)
        c.u16s(status.map(UInt16.init))
        c.u32s(unstableStamp)
        c.u32s(dirtyList)
        c.array(synced) { $0.bool($1) }
        c.array(counted) { $0.bool($1) }
        c.array(fullFeed) { $0.bool($1) }
        c.array(fullFeed6) { $0.bool($1) }
        c.array(peerCollector) { $0.int($1) }
        c.u32s(inRIB.sorted())
        c.array(collectorNames) { $0.string($1) }
        c.u32s(lastHeard)
        c.array(silent) { $0.bool($1) }
        let pending = missing.sorted { $0.key < $1.key }
        c.array(pending) { c, m in c.u64(m.key); c.u32(m.value) }
        c.array(Array(missingQueue[missingHead...])) { c, m in c.u32(m.time); c.u64(m.key) }
        c.int(series.count)
        for (i, s) in series.enumerated() { Self.encode(s, lastNormal: lastNormal(Int32(i)), to: &c) }
        c.optionalU32(binStart)
        c.array(withdrawnInBin.sorted()) { $0.u64($1) }
        c.array(withdrawnBefore.sorted()) { $0.u64($1) }
        c.int(updatesInBin)
        c.u32(now)
        c.u32(lastAny)
        c.array(events) { c, e in Self.encode(e, to: &c) }
        c.u64(checkpointChecksum(c.bytes[...]))
        return c.bytes
    }

    /// A monitor restored from `checkpoint()`'s bytes. Fails when the bytes are damaged or
    /// were written with other rules than `options`.
    public static func restore(_ bytes: [UInt8], options: DetectorOptions,
                               registry load: @escaping (UInt32) throws -> RegistryDatabase) throws -> Monitor {
        var d = CheckpointDecoder(bytes)
        for b in magic { guard try d.u8() == b else { throw d.fail("not a Blackout checkpoint") } }
        guard bytes.count >= magic.count + 8 else { throw d.fail("too short") }
        var sum: UInt64 = 0
        for (k, b) in bytes.suffix(8).enumerated() { sum |= UInt64(b) << (8 * k) }
        guard checkpointChecksum(bytes.dropLast(8)) == sum else { throw CheckpointError(offset: bytes.count - 8, "checksum does not match") }
        d = CheckpointDecoder(bytes, end: bytes.count - 8)
        for _ in magic { _ = try d.u8() }
        let version = try d.u32()
        guard version == Self.version else { throw d.fail("checkpoint version \(version), this build reads \(Self.version)") }
        let stored = try decodeOptions(&d)
        guard stored == options else { throw CheckpointRulesMismatch(stored: stored, given: options) }
        let m = Monitor(options: options, registry: load)
        m.registryTime = try d.u32()
        if try d.bool() {
            m.registry = try load(m.registryTime)
        }
        m.state = try RoutingState.decode(from: &d)
        let prefixes = m.state.prefixes.count
        m.prefixPath = try d.u32s()
        m.pathSeries = Array(repeating: -2, count: m.prefixPath.count)
        m.rebaseMark = Array(repeating: false, count: m.prefixPath.count)
        m.countrySeries = try d.u32s().map { Int32(bitPattern: $0) }
        m.originSeries = try d.u32s().map { Int32(bitPattern: $0) }
        m.carriers = try d.u16s()
        m.expected = try d.u16s()
        m.expectedFullFeed = try d.u16s()
        m.status = try d.u16s().map { UInt8(truncatingIfNeeded: $0) }
        m.unstableStamp = try d.u32s()
        m.dirtyList = try d.u32s()
        let n = m.prefixPath.count
        guard n == prefixes, n == 0 || m.state.paths.count > 0, [m.countrySeries.count, m.originSeries.count, m.carriers.count, m.expected.count,
                               m.expectedFullFeed.count, m.status.count, m.unstableStamp.count].allSatisfy({ $0 == n }),
              m.prefixPath.allSatisfy({ Int($0) < m.state.paths.count }),
              m.dirtyList.allSatisfy({ Int($0) < n }),
              (0..<n).allSatisfy({ (m.status[$0] & 4 != 0) == m.state.prefixes[UInt32($0)].isV6 })
        else { throw d.fail("per-prefix tables do not match the routing state") }
        m.dirty = [Bool](repeating: false, count: n)
        for p in m.dirtyList { m.dirty[Int(p)] = true }
        m.synced = try d.array { try $0.bool() }
        m.counted = try d.array { try $0.bool() }
        m.fullFeed = try d.array { try $0.bool() }
        m.fullFeed6 = try d.array { try $0.bool() }
        m.peerCollector = try d.array { try $0.int() }
        m.inRIB = Set(try d.u32s())
        m.collectorNames = try d.array { try $0.string() }
        m.lastHeard = try d.u32s()
        m.silent = try d.array { try $0.bool() }
        let peers = m.state.peers.count
        guard [m.synced.count, m.counted.count, m.fullFeed.count, m.fullFeed6.count, m.peerCollector.count].allSatisfy({ $0 == peers }),
              m.lastHeard.count == m.collectorNames.count, m.silent.count == m.collectorNames.count,
              m.peerCollector.allSatisfy({ $0 >= 0 && $0 < m.collectorNames.count })
        else { throw d.fail("peer or collector tables do not match the routing state") }
        for (i, name) in m.collectorNames.enumerated() { m.collectorIDs[name] = i }
        m.fullFeedCount = m.fullFeed.filter { $0 }.count
        m.fullFeedCount6 = m.fullFeed6.filter { $0 }.count
        m.judgedFullFeed = (m.fullFeedCount, m.fullFeedCount6)
        m.countedCount = m.counted.filter { $0 }.count
        for (key, time) in try d.array({ (try $0.u64(), try $0.u32()) }) { m.missing[key] = time }
        m.missingQueue = try d.array { (time: try $0.u32(), key: try $0.u64()) }
        m.series = try d.array { try decodeSeries(&$0, options: options) }
        for (i, s) in m.series.enumerated() { m.seriesIndex[s.id] = Int32(i) }
        m.awakeList = m.series.indices.map { Int32($0) }  // the first bin puts the settled ones back to sleep
        guard m.countrySeries.allSatisfy({ $0 >= -1 && Int($0) < m.series.count }),
              m.originSeries.allSatisfy({ $0 >= -1 && Int($0) < m.series.count })
        else { throw d.fail("series references out of range") }
        m.binStart = try d.optionalU32()
        m.withdrawnInBin = Set(try d.array { try $0.u64() })
        m.withdrawnBefore = Set(try d.array { try $0.u64() })
        m.updatesInBin = try d.int()
        m.now = try d.u32()
        m.lastAny = try d.u32()
        m.events = try d.array { try decodeEvent(&$0) }
        for s in m.series {
            guard s.outages.allSatisfy({ $0.event.map { $0 < m.events.count } ?? true }),
                  s.instability.map({ $0 < m.events.count }) ?? true
            else { throw d.fail("event references out of range") }
        }
        let inRange = { (key: UInt64) in Int(key >> 32) < peers && Int(UInt32(truncatingIfNeeded: key)) < n }
        // Times and counters the detectors do arithmetic with.
        let bin = m.binStart ?? 0
        guard bin <= UInt32.max - 2 * options.gapSeconds - options.binSeconds,
              m.series.allSatisfy({ s in
                  s.highRun >= 0 && s.quietRun >= 0 && s.evidence.start <= bin && s.outages.allSatisfy { $0.start <= bin }
                      && abs(s.baseline.offset) < 1 << 31 && abs(s.churnBaseline.offset) < 1 << 31
                      && s.outages.allSatisfy { $0.peers.allSatisfy { Int($0) < peers } }
              })
        else { throw d.fail("detector state out of range") }
        guard m.series.allSatisfy({ $0.prefixes.allSatisfy { Int($0) < n } && $0.sinceNormal.keys.allSatisfy { Int($0) < n }
                  && $0.binPeers.union($0.lastBinPeers).union($0.evidence.peers).allSatisfy { Int($0) < peers } }),
              m.missing.keys.allSatisfy(inRange), m.missingQueue.allSatisfy({ inRange($0.key) }),
              m.withdrawnInBin.allSatisfy(inRange), m.withdrawnBefore.allSatisfy(inRange),
              m.inRIB.allSatisfy({ Int($0) < peers })
        else { throw d.fail("prefix or peer references out of range") }
        guard d.isAtEnd else { throw d.fail("trailing bytes") }
        // Kept incrementally from here on (`Monitor+Space`, `SeriesState.sinceNormal`).
        for (i, s) in m.series.enumerated() {
            let lastNormal = s.sinceNormal
            s.sinceNormal = [:]
            for p in lastNormal.keys where !m.isMember(p, of: Int32(i), country: s.isCountry) { s.sinceNormal[p] = true }
            for p in s.prefixes where lastNormal[p] == nil && m.isMember(p, of: Int32(i), country: s.isCountry) { s.sinceNormal[p] = false }
            for p in s.prefixes { s.lengths.insert(Int(m.state.prefixes[p].length)) }
            s.spaceUnits = m.countSpace(Int32(i))
        }
        return m
    }

    // MARK: Pieces

    static func encode(_ r: SeriesRules, to c: inout CheckpointEncoder) {
        c.double(r.outageThreshold); c.int(r.minimumPrefixes); c.u32(r.outageDuration)
        c.double(r.instabilityShare); c.int(r.instabilityMinimum); c.double(r.instabilityFactor)
        c.u32(r.instabilityDuration); c.u32(r.instabilityQuiet)
    }

    static func decodeRules(_ d: inout CheckpointDecoder) throws -> SeriesRules {
        SeriesRules(outageThreshold: try d.double(), minimumPrefixes: try d.int(), outageDuration: try d.u32(),
                    instabilityShare: try d.double(), instabilityMinimum: try d.int(), instabilityFactor: try d.double(),
                    instabilityDuration: try d.u32(), instabilityQuiet: try d.u32())
    }

    static func encode(_ o: DetectorOptions, to c: inout CheckpointEncoder) {
        c.u32(o.binSeconds); c.u32(o.baselineSeconds); c.u32(o.minimumHistorySeconds); c.u32(o.gapSeconds)
        c.u32(o.silenceSeconds)
        c.double(o.rule.fullFeedShare); c.double(o.rule.visibilityShare); c.double(o.rule.retainedShare)
        encode(o.countries, to: &c)
        encode(o.originASes, to: &c)
    }

    static func decodeOptions(_ d: inout CheckpointDecoder) throws -> DetectorOptions {
        var o = DetectorOptions()
        o.binSeconds = try d.u32(); o.baselineSeconds = try d.u32(); o.minimumHistorySeconds = try d.u32()
        o.gapSeconds = try d.u32(); o.silenceSeconds = try d.u32()
        o.rule = VisibilityRule(fullFeedShare: try d.double(), visibilityShare: try d.double(), retainedShare: try d.double())
        o.countries = try decodeRules(&d)
        o.originASes = try decodeRules(&d)
        guard o.binSeconds > 0 else { throw d.fail("bin width 0") }
        return o
    }

    static func encode(_ id: SeriesID, to c: inout CheckpointEncoder) {
        switch id.subject {
        case .country(let cc): c.u8(0); c.u32(UInt32(cc.rawValue))
        case .asn(let asn): c.u8(1); c.u32(asn)
        }
        c.bool(id.family == .ipv6)
    }

    static func decodeSeriesID(_ d: inout CheckpointDecoder) throws -> SeriesID {
        let kind = try d.u8()
        let value = try d.u32()
        let family: Family = try d.bool() ? .ipv6 : .ipv4
        switch kind {
        case 0: return SeriesID(.country(CountryCode(rawValue: UInt16(truncatingIfNeeded: value))), family)
        case 1: return SeriesID(.asn(value), family)
        default: throw d.fail("series kind \(kind)")
        }
    }

    static func encode(_ b: Baseline, to c: inout CheckpointEncoder) {
        c.int(b.capacity); c.int(b.offset)
        c.u32s(b.window.map { UInt32(bitPattern: $0.value) })
        c.u32s(b.window.map { UInt32(bitPattern: $0.count) })
    }

    static func decodeBaseline(_ d: inout CheckpointDecoder) throws -> Baseline {
        let capacity = try d.int(), offset = try d.int()
        let values = try d.u32s().map { Int32(bitPattern: $0) }
        let counts = try d.u32s()
        guard capacity > 0, values.count == counts.count, counts.allSatisfy({ $0 > 0 }),
              counts.reduce(0, { $0 + Int($1) }) <= capacity
        else { throw d.fail("baseline out of range") }
        return Baseline(capacity: capacity, runs: zip(values, counts).map { ($0, Int32($1)) }, offset: offset)
    }

    static func encode(_ b: SeriesBin, to c: inout CheckpointEncoder) {
        c.u32(b.time); c.int(b.visiblePrefixes); c.double(b.space)
        for v in [b.announcements, b.withdrawals, b.pathChanges, b.flaps, b.unstablePrefixes, b.fullFeedPeers, b.peers, b.collectors] { c.int(v) }
    }

    static func decodeBin(_ d: inout CheckpointDecoder) throws -> SeriesBin {
        SeriesBin(time: try d.u32(), visiblePrefixes: try d.int(), space: try d.double(), announcements: try d.int(),
                  withdrawals: try d.int(), pathChanges: try d.int(), flaps: try d.int(), unstablePrefixes: try d.int(),
                  fullFeedPeers: try d.int(), peers: try d.int(), collectors: try d.int())
    }

    static func encode(_ s: SeriesState, lastNormal: [UInt32], to c: inout CheckpointEncoder) {
        encode(s.id, to: &c)
        c.int(s.visible); c.int(s.rebase); c.bool(s.changed); c.double(s.space)
        c.u32s(s.prefixes); c.bool(s.sortedCount == s.prefixes.count)
        for v in [s.announcements, s.withdrawals, s.pathChanges, s.flaps, s.unstable] { c.int(v) }
        c.u32s(s.binPeers.sorted()); c.u32s(s.lastBinPeers.sorted())
        encode(s.baseline, to: &c)
        c.array(s.outages) { c, o in
            c.u32(o.start); c.double(o.baseline); c.double(o.lowest); c.optionalU32(o.event.map { UInt32($0) })
            c.u32s(o.peers.sorted())
        }
        c.bool(s.relearning)
        c.u32s(lastNormal); c.bool(s.normalStale)
        encode(s.churnBaseline, to: &c)
        c.int(s.highRun); c.u32s(s.highValues.map { UInt32(bitPattern: $0) }); c.int(s.quietRun)
        c.optionalU32(s.instability.map { UInt32($0) })
        c.u32(s.evidence.start); c.int(s.evidence.flaps); c.int(s.evidence.dips); c.double(s.evidence.fractionLost)
        c.u32s(s.evidence.peers.sorted())
        c.bool(s.lastStored != nil)
        if let b = s.lastStored { encode(b, to: &c) }
    }

    static func decodeSeries(_ d: inout CheckpointDecoder, options: DetectorOptions) throws -> SeriesState {
        let id = try decodeSeriesID(&d)
        let rules: SeriesRules
        if case .country = id.subject { rules = options.countries } else { rules = options.originASes }
        let s = SeriesState(id: id, rules: rules, baselineBins: options.baselineBins)
        s.visible = try d.int(); s.rebase = try d.int(); s.changed = try d.bool(); s.space = try d.double()
        s.prefixes = try d.u32s(); s.sortedCount = try d.bool() ? s.prefixes.count : 0
        if !s.isCountry { s.listed = Set(s.prefixes) }
        s.announcements = try d.int(); s.withdrawals = try d.int(); s.pathChanges = try d.int()
        s.flaps = try d.int(); s.unstable = try d.int()
        s.binPeers = Set(try d.u32s()); s.lastBinPeers = Set(try d.u32s())
        s.baseline = try decodeBaseline(&d)
        s.outages = try d.array { d in
            OpenOutage(start: try d.u32(), baseline: try d.double(), lowest: try d.double(), event: try d.optionalU32().map { Int($0) },
                       peers: Set(try d.u32s()))
        }
        s.relearning = try d.bool()
        // The visible prefixes at the last normal bin: made relative to the restored state by `restore`.
        s.sinceNormal = Dictionary(try d.u32s().map { ($0, true) }, uniquingKeysWith: { a, _ in a }); s.normalStale = try d.bool()
        s.churnBaseline = try decodeBaseline(&d)
        s.highRun = try d.int(); s.highValues = try d.u32s().map { Int32(bitPattern: $0) }; s.quietRun = try d.int()
        s.instability = try d.optionalU32().map { Int($0) }
        s.evidence = InstabilityEvidence(start: try d.u32(), flaps: try d.int(), dips: try d.int(),
                                         fractionLost: try d.double(), peers: Set(try d.u32s()))
        if try d.bool() { s.lastStored = try decodeBin(&d) }
        return s
    }

    static func encode(_ e: Event, to c: inout CheckpointEncoder) {
        c.bool(e.country != nil); c.u16(e.country?.rawValue ?? 0)
        c.optionalU32(e.asn)
        c.bool(e.family == .ipv6)
        c.string(e.kind.rawValue); c.string(e.severity.rawValue)
        c.u32(e.start); c.optionalU32(e.end); c.u32(e.lastSeen)
        c.double(e.fractionLost); c.double(e.baseline)
        c.array(e.prefixesLost) { $0.prefix($1) }
        c.u32s(e.originsAffected); c.u32s(e.originsUnaffected); c.u32s(e.providersLost)
        c.array(e.peers) { $0.string($1) }
        c.array(e.collectors) { $0.string($1) }
        c.int(e.flaps); c.int(e.dips)
        c.string(e.summary)
    }

    static func decodeEvent(_ d: inout CheckpointDecoder) throws -> Event {
        let hasCountry = try d.bool()
        let cc = try d.u16()
        let asn = try d.optionalU32()
        let family: Family = try d.bool() ? .ipv6 : .ipv4
        guard let kind = Event.Kind(rawValue: try d.string()), let severity = Event.Severity(rawValue: try d.string()) else {
            throw d.fail("unknown event kind or severity")
        }
        return Event(country: hasCountry ? CountryCode(rawValue: cc) : nil, asn: asn, family: family, kind: kind,
                     severity: severity, start: try d.u32(), end: try d.optionalU32(), lastSeen: try d.u32(),
                     fractionLost: try d.double(), baseline: try d.double(), prefixesLost: try d.array { try $0.prefix() },
                     originsAffected: try d.u32s(), originsUnaffected: try d.u32s(), providersLost: try d.u32s(),
                     peers: try d.array { try $0.string() }, collectors: try d.array { try $0.string() },
                     flaps: try d.int(), dips: try d.int(), summary: try d.string())
    }
}

/// A checkpoint written with other detection rules than those asked for now.
public struct CheckpointRulesMismatch: Error, Sendable, CustomStringConvertible {
    public var stored: DetectorOptions
    public var given: DetectorOptions

    /// Every rule by name, to say which differ.
    static func named(_ o: DetectorOptions) -> [(String, String)] {
        func rules(_ prefix: String, _ r: SeriesRules) -> [(String, String)] {
            [("\(prefix) outage threshold", "\(r.outageThreshold)"), ("\(prefix) minimum prefixes", "\(r.minimumPrefixes)"),
             ("\(prefix) outage duration", "\(r.outageDuration) s"), ("\(prefix) instability share", "\(r.instabilityShare)"),
             ("\(prefix) instability minimum", "\(r.instabilityMinimum)"), ("\(prefix) instability factor", "\(r.instabilityFactor)"),
             ("\(prefix) instability duration", "\(r.instabilityDuration) s"), ("\(prefix) instability quiet", "\(r.instabilityQuiet) s")]
        }
        return [("bin", "\(o.binSeconds) s"), ("baseline", "\(o.baselineSeconds) s"), ("history", "\(o.minimumHistorySeconds) s"),
                ("gap", "\(o.gapSeconds) s"), ("silence", "\(o.silenceSeconds) s"), ("full-feed share", "\(o.rule.fullFeedShare)"),
                ("visibility share", "\(o.rule.visibilityShare)"), ("retained share", "\(o.rule.retainedShare)")]
            + rules("country", o.countries) + rules("origin AS", o.originASes)
    }

    public var description: String {
        let differences = zip(Self.named(stored), Self.named(given)).filter { $0.0.1 != $0.1.1 }
            .map { "\($0.0.0) \($0.1.1) (stored: \($0.0.1))" }
        return "the stored state was built with other detection rules: " + differences.joined(separator: ", ")
            + "; give the same flags again, or --from-scratch to start over with the new ones"
    }
}

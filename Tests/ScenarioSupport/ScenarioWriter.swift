import Foundation
import MRT
import MRTArchive
import TestSupport

/// One file a scenario wrote.
public struct ScenarioFile: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A TABLE_DUMP_V2 RIB dump (`rib.*` / `bview.*`): every record has the dump's time.
        case rib
        /// BGP4MP updates and state changes (`updates.*`).
        case updates
    }

    public var path: String
    public var collector: String
    public var kind: Kind
    /// The file's period: for updates, `start..<end` (the file's 5 or 15 minutes, by its
    /// name); for a RIB, `start == end`, the dump's time.
    public var start: UInt32
    public var end: UInt32
    /// MRT records written.
    public var records: Int

    public var description: String { "\(path) [\(start), \(end)) \(records) records" }
}

/// Background churn for `ScenarioWriter.background(churn:)`: what a quiet day at a
/// collector looks like. Every minute, `pathChangesPerMinute` routes are each announced
/// again with a different AS path by one peer (the base path with its first AS prepended
/// once more, or back to the base path), and `withdrawalsPerMinute` routes are each
/// withdrawn by one peer only and announced again with the same path 20-60 s later. Routes,
/// peers and seconds are drawn with SplitMix64 from `seed` and the minute, so they are the
/// same on every run whatever else the scenario does.
public struct Churn: Sendable {
    public var pathChangesPerMinute: Int
    public var withdrawalsPerMinute: Int
    /// Ranges whose routes churn never touches: every prefix overlapping one (inside it or
    /// covering it). Routes named by the scenario's actions are left alone as well.
    public var excluding: [Prefix]
    public var seed: UInt64

    public init(pathChangesPerMinute: Int = 10, withdrawalsPerMinute: Int = 3, excluding: [Prefix] = [], seed: UInt64 = 2014) {
        self.pathChangesPerMinute = pathChangesPerMinute
        self.withdrawalsPerMinute = withdrawalsPerMinute
        self.excluding = excluding
        self.seed = seed
    }
}

/// What a scenario does, for `ScenarioWriter.schedule`; each case is also a method of the writer.
public enum ScenarioAction: Sendable {
    /// A RIB dump of every peer of `collector`, as their tables are at `at` (before the
    /// events of that second).
    case rib(collector: String, at: UInt32)
    /// The peers withdraw the prefixes.
    case withdraw([Prefix], peers: [ScenarioPeer], at: UInt32)
    /// The peers announce the prefixes: with their base path, or with `path` (the path
    /// behind the peer: the peer's ASN is prepended, as to base paths).
    case announce([Prefix], peers: [ScenarioPeer], at: UInt32, path: [UInt32]?)
    /// From `from` until before `to`, every `every` seconds: the peers withdraw the
    /// prefixes and announce them again with the path they had `down` seconds later (a
    /// peer skips a cycle for a route it does not have then, or while its session is down).
    case flap([Prefix], peers: [ScenarioPeer], from: UInt32, to: UInt32, every: UInt32, down: UInt32)
    /// STATE_CHANGE Established -> Idle: the collector drops the peer's routes.
    case sessionDown(ScenarioPeer, at: UInt32)
    /// STATE_CHANGE OpenConfirm -> Established, then the peer announces its whole table again.
    case sessionUp(ScenarioPeer, at: UInt32)
    /// The collector records nothing `from..<to`.
    case silence(collector: String, from: UInt32, to: UInt32)
}

/// Writes a multi-peer, multi-collector scenario on top of a real table, as the collectors
/// would have archived it: RouteViews `<collector>/bgpdata/YYYY.MM/{RIBS,UPDATES}/` bzip2
/// files with 15-minute updates, RIPE RIS `<rrcNN>/YYYY.MM/` gzip files with 5-minute updates.
///
/// Every peer starts with the base table, its ASN prepended to every path. Actions and RIB
/// dumps are scheduled first (any order), then `finish()` plays them in time order and
/// writes the files, one update file at a time (and the collectors in parallel): records of
/// far-off times are never held in memory.
///
/// While a peer's session is down its routes are in no RIB and its announcements and
/// withdrawals are not recorded, but they still change the table it announces when the
/// session is up again. During a silence the collector's tables change as scheduled and
/// nothing is recorded: no RIB, no update file wholly inside the silence, and no record in
/// the files it overlaps.
public final class ScenarioWriter {
    public let base: BaseTable
    public let peers: [ScenarioPeer]
    /// The collectors, in the order of their first peer.
    public let collectors: [String]
    /// Update files cover `start..<end`; scheduled times must not be before `start`, and
    /// events at `end` or later are not written (a RIB may be dumped at `end`).
    public let start: UInt32
    public let end: UInt32
    /// Where the collectors' directories are.
    public let directory: String
    /// How long a peer takes to announce its whole table again after `sessionUp`.
    public var refillDuration: UInt32 = 180
    /// What `finish()` wrote.
    public private(set) var files: [ScenarioFile] = []

    private var prefixes: [Prefix]
    private var extra: [Prefix: Int32] = [:]
    private var customPaths: [[UInt32]] = []
    private var customIndex: [[UInt32]: UInt32] = [:]
    private var steps: [Step] = []
    private var ribs: [(collector: Int, time: UInt32)] = []
    private var silences: [[Range<UInt32>]]
    private var churn: Churn?
    private var touched = Set<Int32>()
    private let peerIndex: [ScenarioPeer: Int]
    private var finished = false

    /// A scenario of `peers` over `base` from `start` to `end` (both multiples of 5 minutes),
    /// written under `directory` (by default a new directory in the temporary directory).
    /// Collector names must be `route-views...` or `rrcNN` (see `CollectorLayout`).
    public init(base: BaseTable, peers: [ScenarioPeer] = ScenarioPeer.standard, start: UInt32, end: UInt32,
                directory: String? = nil) throws {
        precondition(start % 300 == 0 && end % 300 == 0 && start < end, "start and end must be multiples of 300 s, start first")
        precondition(!peers.isEmpty && Set(peers).count == peers.count, "peers must be distinct")
        var collectors: [String] = []
        for p in peers where !collectors.contains(p.collector) {
            precondition(CollectorLayout(collector: p.collector) != nil,
                         "collector \(p.collector): use route-views... or rrcNN, the names archive paths are recognised by")
            precondition(peers.filter { $0.collector == p.collector }.count <= Int(UInt16.max), "too many peers for a PEER_INDEX_TABLE")
            collectors.append(p.collector)
        }
        self.base = base
        self.peers = peers
        self.collectors = collectors
        self.start = start
        self.end = end
        self.directory = directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("blackout-scenario-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        prefixes = base.prefixes
        silences = Array(repeating: [], count: collectors.count)
        var index: [ScenarioPeer: Int] = [:]
        for (i, p) in peers.enumerated() { index[p] = i }
        peerIndex = index
    }

    /// The peers of one collector.
    public func peers(of collector: String) -> [ScenarioPeer] { peers.filter { $0.collector == collector } }

    /// Deletes the scenario's directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    // MARK: Scheduling

    /// Adds actions to the scenario, in any order: `finish()` plays them by time (actions of
    /// the same second in the order they were scheduled). Times must not be before `start`.
    public func schedule(_ actions: [ScenarioAction]) {
        for a in actions { schedule(a) }
    }

    /// Adds one action (see `schedule(_:)` for a list).
    public func schedule(_ action: ScenarioAction) {
        precondition(!finished, "the scenario is finished")
        switch action {
        case .rib(let collector, let at):
            precondition(at >= start && at <= end, "RIB at \(at) outside the scenario")
            ribs.append((collectorIndex(collector), at))
        case .withdraw(let prefixes, let peers, let at):
            add(Step(kind: .withdraw, time: at, peers: peerIDs(peers), routes: routes(prefixes), path: PathRef.absent))
        case .announce(let prefixes, let peers, let at, let path):
            let routes = routes(prefixes)
            let ref: UInt32
            if let path {
                ref = custom(path)
            } else {
                precondition(routes.allSatisfy { Int($0) < base.count }, "announcing a prefix the base table lacks needs a path")
                ref = PathRef.base
            }
            add(Step(kind: .announce, time: at, peers: peerIDs(peers), routes: routes, path: ref))
        case .flap(let prefixes, let peers, let from, let to, let every, let down):
            precondition(every > 0 && down > 0 && down < every, "a flap's down time must be shorter than its period")
            var s = Step(kind: .flap, time: from, peers: peerIDs(peers), routes: routes(prefixes), path: PathRef.absent)
            s.to = to
            s.every = every
            s.down = down
            add(s)
        case .sessionDown(let peer, let at):
            add(Step(kind: .down, time: at, peers: peerIDs([peer]), routes: [], path: PathRef.absent))
        case .sessionUp(let peer, let at):
            add(Step(kind: .up, time: at, peers: peerIDs([peer]), routes: [], path: PathRef.absent))
        case .silence(let collector, let from, let to):
            precondition(from < to)
            silences[collectorIndex(collector)].append(from..<to)
        }
    }

    /// Dumps the RIB of every peer of `collector` at `time` (their tables as they are then).
    public func writeRIB(time: UInt32, collector: String) {
        schedule(.rib(collector: collector, at: time))
    }

    /// RIB dumps of `collector` at `start` and every `interval` seconds after, up to `end`.
    public func writeRIBs(collector: String, every interval: UInt32) {
        precondition(interval > 0)
        var t = start
        while t <= end {
            writeRIB(time: t, collector: collector)
            t += interval
        }
    }

    /// `peers` (all by default) withdraw `prefixes` at `at`.
    public func withdraw(_ prefixes: [Prefix], peers: [ScenarioPeer]? = nil, at: UInt32) {
        schedule(.withdraw(prefixes, peers: peers ?? self.peers, at: at))
    }

    /// `peers` (all by default) announce `prefixes` at `at` with their base paths, or with
    /// `path` behind their own ASN.
    public func announce(_ prefixes: [Prefix], peers: [ScenarioPeer]? = nil, at: UInt32, path: [UInt32]? = nil) {
        schedule(.announce(prefixes, peers: peers ?? self.peers, at: at, path: path))
    }

    /// `peers` (all by default) withdraw `prefixes` at `from`, `from + every`, ... before
    /// `to`, and announce them again `down` seconds after each withdrawal.
    public func flap(_ prefixes: [Prefix], peers: [ScenarioPeer]? = nil, from: UInt32, to: UInt32, every: UInt32,
                     down: UInt32) {
        schedule(.flap(prefixes, peers: peers ?? self.peers, from: from, to: to, every: every, down: down))
    }

    public func sessionDown(_ peer: ScenarioPeer, at: UInt32) { schedule(.sessionDown(peer, at: at)) }

    /// The session comes back; over the next `refillDuration` seconds the peer announces its
    /// whole current table again, in table order.
    public func sessionUp(_ peer: ScenarioPeer, at: UInt32) { schedule(.sessionUp(peer, at: at)) }

    /// `collector` records nothing from `from` until before `to`.
    public func silence(_ collector: String, from: UInt32, to: UInt32) {
        schedule(.silence(collector: collector, from: from, to: to))
    }

    /// Background churn over the whole scenario (see `Churn`).
    public func background(churn: Churn) {
        precondition(!finished, "the scenario is finished")
        self.churn = churn
    }

    private func add(_ step: Step) {
        precondition(step.time >= start, "an action at \(step.time) is before the scenario's start \(start)")
        var step = step
        step.order = steps.count
        steps.append(step)
        touched.formUnion(step.routes)
    }

    private func collectorIndex(_ name: String) -> Int {
        guard let i = collectors.firstIndex(of: name) else { preconditionFailure("no peer of collector \(name)") }
        return i
    }

    private func peerIDs(_ list: [ScenarioPeer]) -> [Int] {
        list.map { p in
            guard let i = peerIndex[p] else { preconditionFailure("\(p) is not a peer of the scenario") }
            return i
        }
    }

    private func routes(_ list: [Prefix]) -> [Int32] {
        list.map { p in
            if let i = base.route(for: p) { return Int32(i) }
            if let i = extra[p] { return i }
            let i = Int32(prefixes.count)
            prefixes.append(p)
            extra[p] = i
            return i
        }
    }

    private func custom(_ path: [UInt32]) -> UInt32 {
        if let i = customIndex[path] { return PathRef.custom | i }
        let i = UInt32(customPaths.count)
        customPaths.append(path)
        customIndex[path] = i
        return PathRef.custom | i
    }

    // MARK: Writing

    /// Plays the scenario and writes its files; returns them in time order (RIBs before
    /// update files of the same start, then by collector).
    @discardableResult
    public func finish() throws -> [ScenarioFile] {
        precondition(!finished, "finish() was called already")
        finished = true
        var eligible: [Int32] = []
        if let churn {
            for r in 0..<base.count where !touched.contains(Int32(r)) {
                let p = base.prefixes[r]
                if !churn.excluding.contains(where: { $0.contains(p) || p.contains($0) }) { eligible.append(Int32(r)) }
            }
        }
        var plan = Plan(base: base, prefixes: prefixes, customPaths: customPaths, peers: peers, start: start, end: end,
                        directory: directory, refillDuration: refillDuration,
                        steps: steps.sorted { ($0.time, $0.order) < ($1.time, $1.order) }, churn: churn, eligible: eligible)
        if steps.contains(where: { $0.kind == .up || $0.kind == .down }) { plan.orderRefill() }
        let ribWriters = RIBWriters()
        let runs = collectors.indices.map { c in
            CollectorRun(plan: plan, collector: collectors[c], ribTimes: ribs.filter { $0.collector == c }.map(\.time).sorted(),
                         silences: silences[c], ribWriters: ribWriters)
        }
        DispatchQueue.concurrentPerform(iterations: runs.count) { i in runs[i].runCatching() }
        ribWriters.wait()
        if let failed = runs.first(where: { $0.error != nil }), let error = failed.error { throw error }
        if let error = ribWriters.error { throw error }
        files = (runs.flatMap(\.files) + ribWriters.files).sorted {
            if $0.start != $1.start { return $0.start < $1.start }
            if $0.kind != $1.kind { return $0.kind == .rib }
            if $0.collector != $1.collector { return $0.collector < $1.collector }
            return $0.path < $1.path
        }
        return files
    }
}

// MARK: - Playing one collector

/// Path references in peers' tables: an index into the base table's paths, the same with
/// its first AS prepended once more (`variant`), or a path given to `announce` (`custom`).
enum PathRef {
    static let absent: UInt32 = .max
    /// In a step: the route's base path.
    static let base: UInt32 = .max - 1
    static let variant: UInt32 = 0x8000_0000
    static let custom: UInt32 = 0xC000_0000
}

struct Step: Sendable {
    enum Kind: Sendable { case withdraw, announce, flap, down, up }
    var kind: Kind
    var time: UInt32
    var peers: [Int]
    var routes: [Int32]
    var path: UInt32
    var to: UInt32 = 0
    var every: UInt32 = 0
    var down: UInt32 = 0
    var order = 0
}

/// What every collector's run reads.
struct Plan: Sendable {
    var base: BaseTable
    var prefixes: [Prefix]
    var customPaths: [[UInt32]]
    var peers: [ScenarioPeer]
    var start: UInt32
    var end: UInt32
    var directory: String
    var refillDuration: UInt32
    var steps: [Step]
    var churn: Churn?
    var eligible: [Int32]
    /// The order a peer announces its table in after `sessionUp`: routes grouped by base
    /// path (one UPDATE carries the prefixes sharing a path, as real refills pack them),
    /// and each route's position in it.
    var refillOrder: [Int32] = []
    var refillPosition: [Int32] = []

    /// Computes `refillOrder` by counting sort on the base path (the added prefixes last).
    mutating func orderRefill() {
        var starts = [Int](repeating: 0, count: base.paths.count + 1)
        for id in base.pathIDs { starts[Int(id) + 1] += 1 }
        for i in 1..<starts.count { starts[i] += starts[i - 1] }
        var order = [Int32](repeating: 0, count: prefixes.count)
        for (r, id) in base.pathIDs.enumerated() {
            order[starts[Int(id)]] = Int32(r)
            starts[Int(id)] += 1
        }
        for r in base.count..<prefixes.count { order[r] = Int32(r) }
        var position = [Int32](repeating: 0, count: prefixes.count)
        for (i, r) in order.enumerated() { position[Int(r)] = Int32(i) }
        refillOrder = order
        refillPosition = position
    }

    func path(_ ref: UInt32) -> [UInt32] {
        if ref & PathRef.custom == PathRef.custom { return customPaths[Int(ref & ~PathRef.custom)] }
        if ref & PathRef.variant != 0 {
            let p = base.paths[Int(ref & ~PathRef.variant)]
            return p.isEmpty ? p : [p[0]] + p
        }
        return base.paths[Int(ref)]
    }
}

struct Event {
    enum Kind: UInt8 { case withdraw, announce, flapWithdraw, churnWithdraw, churnChange, refill, down, up }
    var time: UInt32
    var kind: Kind
    var peer: UInt16
    var route: Int32
    /// announce: the path; flapWithdraw/churnWithdraw: seconds until the route is back; refill: the session's epoch.
    var value: UInt32
    var seq: UInt64

    @inline(__always) static func before(_ a: Event, _ b: Event) -> Bool {
        a.time != b.time ? a.time < b.time : a.seq < b.seq
    }
}

/// A binary min-heap of events by (time, order of scheduling).
struct EventHeap {
    private(set) var items: [Event] = []

    var first: Event? { items.first }

    mutating func push(_ e: Event) {
        items.append(e)
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Event.before(items[i], items[parent]) else { break }
            items.swapAt(i, parent)
            i = parent
        }
    }

    mutating func pop() -> Event {
        let top = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < items.count, Event.before(items[l], items[m]) { m = l }
                if r < items.count, Event.before(items[r], items[m]) { m = r }
                if m == i { break }
                items.swapAt(i, m)
                i = m
            }
        }
        return top
    }
}

/// One collector's peers played through the scenario, writing its files.
final class CollectorRun: @unchecked Sendable {  // each run is used by one thread
    let plan: Plan
    let collector: String
    let layout: CollectorLayout
    let ribTimes: [UInt32]
    let silences: [Range<UInt32>]
    /// Global peer index of each local peer, and the reverse (-1: another collector's).
    let globalPeers: [Int]
    let localOf: [Int]
    let peers: [ScenarioPeer]
    let peerings: [BGP4MPPeering]
    let steps: [Step]
    let flaps: [Step]

    var tables: [[UInt32]]
    var up: [Bool]
    var epoch: [UInt32]
    var originated: [UInt32]
    var refillStart: [UInt32?]
    /// The next position in `plan.refillOrder` to schedule.
    var refillNext: [Int]
    /// While a refill runs: routes before this position in `plan.refillOrder` have been announced again...
    var refillDone: [Int?]
    /// ...and these ones, announced by scheduled actions before the refill reached them.
    var early: [Set<Int>]
    var heap = EventHeap()
    var seq: UInt64 = 0

    private(set) var files: [ScenarioFile] = []
    private(set) var error: Error?
    private var updates: OutputFile?
    private var updatesFile: ScenarioFile?
    private var period: UInt32?
    private let writer = MRTWriter()
    private var pending: (time: UInt32, peer: Int, withdraw: Bool, path: UInt32, v6: Bool, prefixes: [Prefix])?
    private var directories = Set<String>()

    let ribWriters: RIBWriters
    /// One dump of the collector at a time, and the attributes they share.
    let ribSlot = DispatchSemaphore(value: 1)
    let ribCache: RIBAttributeCache

    init(plan: Plan, collector: String, ribTimes: [UInt32], silences: [Range<UInt32>], ribWriters: RIBWriters) {
        self.plan = plan
        self.ribWriters = ribWriters
        ribCache = RIBAttributeCache(peers: plan.peers.filter { $0.collector == collector }.count)
        self.collector = collector
        layout = CollectorLayout(collector: collector)!
        self.ribTimes = ribTimes
        self.silences = silences
        globalPeers = plan.peers.indices.filter { plan.peers[$0].collector == collector }
        var localOf = [Int](repeating: -1, count: plan.peers.count)
        for (l, g) in globalPeers.enumerated() { localOf[g] = l }
        self.localOf = localOf
        peers = globalPeers.map { plan.peers[$0] }
        let layout = self.layout
        peerings = peers.map {
            BGP4MPPeering(peerASN: $0.asn, localASN: layout.localASN, afi: $0.address.isV6 ? AFI.ipv6 : AFI.ipv4,
                          peerAddress: $0.address, localAddress: layout.localAddress)
        }
        let mine = plan.steps.filter { $0.peers.contains { localOf[$0] >= 0 } }
        steps = mine.filter { $0.kind != .flap }
        flaps = mine.filter { $0.kind == .flap }
        let n = plan.prefixes.count
        var initial = plan.base.pathIDs
        initial += [UInt32](repeating: PathRef.absent, count: n - initial.count)
        tables = Array(repeating: initial, count: peers.count)
        up = Array(repeating: true, count: peers.count)
        epoch = Array(repeating: 0, count: peers.count)
        originated = Array(repeating: plan.start, count: peers.count)
        refillStart = Array(repeating: nil, count: peers.count)
        refillNext = Array(repeating: 0, count: peers.count)
        refillDone = Array(repeating: nil, count: peers.count)
        early = Array(repeating: [], count: peers.count)
    }

    /// Whether the collector has peer `p`'s route `r` (if the peer has it): the session is
    /// up, and a running refill has announced it already.
    private func visible(_ p: Int, _ r: Int) -> Bool {
        guard up[p] else { return false }
        guard let done = refillDone[p] else { return true }
        return Int(plan.refillPosition[r]) < done || early[p].contains(r)
    }

    func runCatching() {
        do { try run() } catch { self.error = error }
    }

    private func push(_ time: UInt32, _ kind: Event.Kind, peer: Int, route: Int32 = 0, value: UInt32 = 0) {
        heap.push(Event(time: time, kind: kind, peer: UInt16(peer), route: route, value: value, seq: seq))
        seq += 1
    }

    private func silenced(_ t: UInt32) -> Bool { silences.contains { $0.contains(t) } }

    func run() throws {
        var ribCursor = 0
        var stepCursor = 0
        var s = plan.start
        while s < plan.end {
            let e = s + 300
            try rotate(s)
            while stepCursor < steps.count, steps[stepCursor].time < e {
                expand(steps[stepCursor])
                stepCursor += 1
            }
            for f in flaps { expandFlap(f, from: s, to: e) }
            if plan.churn != nil {
                for minute in (s / 60)..<(e / 60) { expandChurn(minute: minute) }
            }
            for p in peers.indices { generateRefill(p, until: e) }
            while let next = heap.first, next.time < e {
                while ribCursor < ribTimes.count, ribTimes[ribCursor] <= next.time {
                    try writeRIB(ribTimes[ribCursor])
                    ribCursor += 1
                }
                try apply(heap.pop(), sliceEnd: e)
            }
            while ribCursor < ribTimes.count, ribTimes[ribCursor] < e {
                try writeRIB(ribTimes[ribCursor])
                ribCursor += 1
            }
            s = e
        }
        try closeUpdates()
        while ribCursor < ribTimes.count, ribTimes[ribCursor] <= plan.end {
            try writeRIB(ribTimes[ribCursor])
            ribCursor += 1
        }
    }

    // MARK: Events

    private func expand(_ step: Step) {
        for g in step.peers {
            let p = localOf[g]
            guard p >= 0 else { continue }
            switch step.kind {
            case .withdraw:
                for r in step.routes { push(step.time, .withdraw, peer: p, route: r) }
            case .announce:
                for r in step.routes {
                    push(step.time, .announce, peer: p, route: r, value: step.path == PathRef.base ? plan.base.pathIDs[Int(r)] : step.path)
                }
            case .down: push(step.time, .down, peer: p)
            case .up: push(step.time, .up, peer: p)
            case .flap: break
            }
        }
    }

    private func expandFlap(_ f: Step, from s: UInt32, to e: UInt32) {
        guard f.time < e, f.to > s else { return }
        var k = s <= f.time ? 0 : (s - f.time + f.every - 1) / f.every
        while true {
            let t = f.time + k * f.every
            guard t < e, t < f.to else { break }
            for g in f.peers where localOf[g] >= 0 {
                for r in f.routes { push(t, .flapWithdraw, peer: localOf[g], route: r, value: f.down) }
            }
            k += 1
        }
    }

    /// The same draws in every collector's run; each keeps the events of its own peers.
    private func expandChurn(minute: UInt32) {
        guard let churn = plan.churn, !plan.eligible.isEmpty else { return }
        let t0 = minute * 60
        guard t0 >= plan.start else { return }
        var g = SplitMix64(seed: churn.seed ^ UInt64(minute) &* 0xD1B5_4A32_D192_ED03)
        let routes = UInt64(plan.eligible.count), peerCount = UInt64(plan.peers.count)
        for _ in 0..<churn.pathChangesPerMinute {
            let r = plan.eligible[Int(g.next() % routes)]
            let p = localOf[Int(g.next() % peerCount)]
            let second = UInt32(g.next() % 60)
            if p >= 0 { push(t0 + second, .churnChange, peer: p, route: r) }
        }
        for _ in 0..<churn.withdrawalsPerMinute {
            let r = plan.eligible[Int(g.next() % routes)]
            let p = localOf[Int(g.next() % peerCount)]
            let second = UInt32(g.next() % 60)
            let back = 20 + UInt32(g.next() % 41)
            if p >= 0 { push(t0 + second, .churnWithdraw, peer: p, route: r, value: back) }
        }
    }

    /// Schedules the announcements of a running refill due before `end`.
    private func generateRefill(_ p: Int, until end: UInt32) {
        guard let start = refillStart[p] else { return }
        let n = plan.prefixes.count
        while refillNext[p] < n {
            let i = refillNext[p]
            let t = start + 1 + UInt32(UInt64(i) * UInt64(plan.refillDuration) / UInt64(n))
            guard t < end else { return }
            push(t, .refill, peer: p, route: plan.refillOrder[i], value: epoch[p])
            refillNext[p] += 1
        }
        refillStart[p] = nil  // all scheduled
    }

    private func apply(_ e: Event, sliceEnd: UInt32) throws {
        let p = Int(e.peer), r = Int(e.route)
        switch e.kind {
        case .withdraw:
            tables[p][r] = PathRef.absent
            if up[p] { try emit(e.time, peer: p, route: r, path: PathRef.absent) }
        case .announce:
            tables[p][r] = e.value
            guard up[p] else { return }
            if let done = refillDone[p], Int(plan.refillPosition[r]) >= done { early[p].insert(r) }
            try emit(e.time, peer: p, route: r, path: e.value)
        case .flapWithdraw, .churnWithdraw:
            // Only routes the collector has: a peer does not withdraw what it has not announced.
            let old = tables[p][r]
            guard visible(p, r), old != PathRef.absent else { return }
            tables[p][r] = PathRef.absent
            try emit(e.time, peer: p, route: r, path: PathRef.absent)
            push(e.time + e.value, .announce, peer: p, route: e.route, value: old)
        case .churnChange:
            let old = tables[p][r]
            guard visible(p, r), old != PathRef.absent else { return }
            let basePath = plan.base.pathIDs[r]
            let new = old == basePath ? basePath | PathRef.variant : basePath
            tables[p][r] = new
            try emit(e.time, peer: p, route: r, path: new)
        case .refill:
            guard up[p], e.value == epoch[p] else { return }
            let next = Int(plan.refillPosition[r]) + 1
            refillDone[p] = next == plan.prefixes.count ? nil : next
            if refillDone[p] == nil { early[p] = [] }
            let path = tables[p][r]
            if path != PathRef.absent { try emit(e.time, peer: p, route: r, path: path) }
        case .down:
            guard up[p] else { return }
            up[p] = false
            epoch[p] &+= 1
            refillStart[p] = nil
            refillDone[p] = nil
            early[p] = []
            try emitState(e.time, peer: p, old: .established, new: .idle)
        case .up:
            guard !up[p] else { return }
            up[p] = true
            epoch[p] &+= 1
            originated[p] = e.time
            try emitState(e.time, peer: p, old: .openConfirm, new: .established)
            if plan.prefixes.isEmpty { return }
            refillStart[p] = e.time
            refillNext[p] = 0
            refillDone[p] = 0
            generateRefill(p, until: sliceEnd)
        }
    }

    // MARK: Update files

    /// Opens the update file of the period `t` starts, if it is a new one.
    private func rotate(_ t: UInt32) throws {
        let start = t - t % layout.updatePeriod
        guard start != period else { return }
        try closeUpdates()
        period = start
        let range = start..<(start + layout.updatePeriod)
        if silences.contains(where: { $0.lowerBound <= range.lowerBound && $0.upperBound >= range.upperBound }) { return }
        let path = layout.updatesPath(directory: plan.directory, collector: collector, time: start)
        try makeParent(path)
        updates = try OutputFile(path: path, compression: layout.compression)
        updatesFile = ScenarioFile(path: path, collector: collector, kind: .updates, start: range.lowerBound,
                                   end: range.upperBound, records: 0)
    }

    private func closeUpdates() throws {
        try flush()
        guard let out = updates, let file = updatesFile else { return }
        try out.write(writer.sink)
        try out.close()
        files.append(file)
        updates = nil
        updatesFile = nil
    }

    private func makeParent(_ path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if directories.insert(dir).inserted {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        }
    }

    /// Records an announcement (a path) or withdrawal (`PathRef.absent`); consecutive ones of
    /// one peer, second, path and family share an UPDATE.
    private func emit(_ t: UInt32, peer p: Int, route r: Int, path: UInt32) throws {
        guard updates != nil, !silenced(t) else { return }
        let prefix = plan.prefixes[r]
        let withdraw = path == PathRef.absent
        if var u = pending, u.time == t, u.peer == p, u.withdraw == withdraw, u.path == path, u.v6 == prefix.isV6,
           u.prefixes.count < (prefix.isV6 ? 150 : 500) {
            pending = nil  // keep the array unique while it grows
            u.prefixes.append(prefix)
            pending = u
            return
        }
        try flush()
        pending = (t, p, withdraw, path, prefix.isV6, [prefix])
    }

    private func flush() throws {
        guard let u = pending else { return }
        pending = nil
        let peer = peers[u.peer]
        if u.withdraw {
            writer.writeUpdate(timestamp: u.time, peering: peerings[u.peer], withdrawn: u.prefixes)
        } else {
            let b = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [peer.asn] + plan.path(u.path)),
                                           nextHop: u.v6 ? nil : peer.address)
            writer.writeUpdate(timestamp: u.time, peering: peerings[u.peer], announced: u.prefixes, attributes: b,
                               ipv6NextHop: peer.ipv6NextHop)
        }
        updatesFile?.records += 1
        if writer.sink.count >= 1 << 20 { try updates?.write(writer.sink) }
    }

    private func emitState(_ t: UInt32, peer p: Int, old: BGPState, new: BGPState) throws {
        guard updates != nil, !silenced(t) else { return }
        try flush()
        writer.writeStateChange(timestamp: t, peering: peerings[p], old: old, new: new)
        updatesFile?.records += 1
    }

    // MARK: RIB dumps

    /// Snapshots the tables (copy on write: the copy happens as the play goes on) and hands
    /// the dump to a RIB writer thread: compressing a full-table dump takes seconds, which
    /// overlap with the rest of the play.
    private func writeRIB(_ t: UInt32) throws {
        guard !silenced(t) else { return }
        let path = layout.ribPath(directory: plan.directory, collector: collector, time: t)
        try makeParent(path)
        ribSlot.wait()  // the collector's previous dump is written
        if let error = ribWriters.error {
            ribSlot.signal()
            throw error
        }
        var visibleBelow = [Int](repeating: plan.prefixes.count, count: peers.count)
        for p in peers.indices {
            if !up[p] { visibleBelow[p] = 0 } else if let done = refillDone[p] { visibleBelow[p] = done }
        }
        ribWriters.submit(RIBJob(plan: plan, collector: collector, layout: layout, path: path, time: t, peers: peers,
                                 tables: tables, visibleBelow: visibleBelow, early: early, originated: originated),
                          cache: ribCache, done: ribSlot)
    }
}

/// One RIB dump of a collector, from a snapshot of its peers' tables.
struct RIBJob: Sendable {
    var plan: Plan
    var collector: String
    var layout: CollectorLayout
    var path: String
    var time: UInt32
    var peers: [ScenarioPeer]
    var tables: [[UInt32]]
    /// Per peer: routes before this position of the refill order are in the dump (all of
    /// them: the route count; 0: session down; during a refill, those announced again so
    /// far), and the routes in `early` too.
    var visibleBelow: [Int]
    var early: [Set<Int>]
    var originated: [UInt32]

    func write(_ cache: RIBAttributeCache) throws -> ScenarioFile {
        let out = try OutputFile(path: path, compression: layout.compression)
        let w = MRTWriter(sink: ByteSink(capacity: 1 << 21))
        w.writePeerIndexTable(timestamp: time, PeerIndexTable(collectorBGPID: layout.localAddress.v4, viewName: [],
                                                              peers: peers.map { Peer(bgpID: $0.bgpID, address: $0.address, asn: $0.asn) }))
        var records = 1
        var entries: [RIBEntry] = []
        entries.reserveCapacity(peers.count)
        var sequence: UInt32 = 0
        // Locals, not fields of `self`: debug builds copy the struct on every field access.
        let prefixes = plan.prefixes, tables = tables, visibleBelow = visibleBelow, early = early
        let originated = originated, position = plan.refillPosition, n = prefixes.count
        for r in prefixes.indices {
            entries.removeAll(keepingCapacity: true)
            let prefix = prefixes[r]
            for p in tables.indices where visibleBelow[p] == n || (visibleBelow[p] > 0 && Int(position[r]) < visibleBelow[p])
                || (!early[p].isEmpty && early[p].contains(r)) {
                let ref = tables[p][r]
                guard ref != PathRef.absent else { continue }
                let attributes: PathAttributes
                if ref < PathRef.variant, !prefix.isV6 {
                    if cache.basePaths[p].isEmpty { cache.basePaths[p] = Array(repeating: nil, count: plan.base.paths.count) }
                    if let a = cache.basePaths[p][Int(ref)] {
                        attributes = a
                    } else {
                        attributes = Self.attributes(peer: peers[p], path: plan.path(ref), v6: false)
                        cache.basePaths[p][Int(ref)] = attributes
                    }
                } else {
                    let key = UInt64(ref) << 1 | (prefix.isV6 ? 1 : 0)
                    if let a = cache.others[p][key] {
                        attributes = a
                    } else {
                        attributes = Self.attributes(peer: peers[p], path: plan.path(ref), v6: prefix.isV6)
                        cache.others[p][key] = attributes
                    }
                }
                entries.append(RIBEntry(peerIndex: UInt16(p), originatedTime: originated[p], attributes: attributes))
            }
            guard !entries.isEmpty else { continue }
            w.writeRIB(timestamp: time, sequence: sequence, prefix: prefix, entries: entries)
            sequence += 1
            records += 1
            if w.sink.count >= 1 << 20 { try out.write(w.sink) }
        }
        try out.write(w.sink)
        try out.close()
        return ScenarioFile(path: path, collector: collector, kind: .rib, start: time, end: time, records: records)
    }

    static func attributes(peer: ScenarioPeer, path: [UInt32], v6: Bool) -> PathAttributes {
        var b = PathAttributes.Builder(origin: .igp, asPath: ASPath(sequence: [peer.asn] + path), nextHop: v6 ? nil : peer.address)
        if v6 { b.mpReach = MPReach(afi: AFI.ipv6, safi: SAFI.unicast, nextHop: peer.ipv6NextHop, abbreviated: true) }
        return b.build(ribForm: true)
    }
}

/// The RIB attributes of a collector's peers, kept from one dump to the next: per peer,
/// those of base paths for IPv4 routes by path index, the others by (path, family).
/// Used by one dump at a time.
final class RIBAttributeCache: @unchecked Sendable {
    var basePaths: [[PathAttributes?]]
    var others: [[UInt64: PathAttributes]]
    init(peers: Int) {
        basePaths = Array(repeating: [], count: peers)
        others = Array(repeating: [:], count: peers)
    }
}

/// Runs RIB jobs on threads of their own (one per collector at a time: `done` is signalled
/// when the job is written, and each holds a snapshot of the tables).
final class RIBWriters: @unchecked Sendable {
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var written: [ScenarioFile] = []
    private var failure: Error?

    var files: [ScenarioFile] { lock.withLock { written } }
    var error: Error? { lock.withLock { failure } }

    func submit(_ job: RIBJob, cache: RIBAttributeCache, done: DispatchSemaphore) {
        group.enter()
        let thread = Thread { [self] in
            defer {
                done.signal()
                group.leave()
            }
            do {
                let file = try job.write(cache)
                lock.withLock { written.append(file) }
            } catch {
                lock.withLock { failure = failure ?? error }
            }
        }
        thread.start()
    }

    /// Waits for every job submitted.
    func wait() { group.wait() }
}

import MRT

/// An outage of a series that has not recovered yet. It becomes an event when it is
/// significant (`SeriesRules.outageDuration`); a shorter one is a dip.
struct OpenOutage: Equatable {
    var start: UInt32
    var baseline: Double
    var lowest: Double
    /// Index of its event in `Monitor.events` once reported.
    var event: Int?
    /// Peers that withdrew the series' prefixes since it opened (and in the bin before).
    var peers: Set<UInt32> = []
}

/// What an instability event gathers while it is under way (and before, while its first
/// bins are being confirmed).
struct InstabilityEvidence: Equatable {
    var start: UInt32 = 0
    var flaps = 0
    var dips = 0
    var fractionLost = 0.0
    var peers: Set<UInt32> = []
}

/// The state of one series (a country's or an origin AS's prefixes of one family): what
/// counts in it now, this bin's updates, and its detectors.
final class SeriesState {
    let id: SeriesID
    let rules: SeriesRules

    // What counts.
    /// Prefixes counted and visible now.
    var visible = 0
    /// Change of `visible` caused by a change of which peers count, in this bin: the baseline moves with it.
    var rebase = 0
    /// Whether the visible set changed in this bin.
    var changed = false
    /// Address space of the visible prefixes in bins' units (taken from `spaceUnits` when `changed`).
    var space: Double = 0
    /// The same in addresses (IPv4) or /64s (IPv6), kept as prefixes come and go (`Monitor+Space`).
    var spaceUnits: UInt64 = 0
    /// Every prefix that may count in the series: a country's prefixes, or every prefix ever
    /// counted under an origin AS (`listed` keeps those unique). The first `sortedCount` are
    /// in prefix order; those added since are put in order when next needed.
    var prefixes: [UInt32] = []
    var listed: Set<UInt32> = []
    var sortedCount = 0
    /// The prefix lengths among `prefixes` (where a covering prefix may be).
    var lengths = LengthSet()
    /// Whether it is in `Monitor.spaceRecount`.
    var recountPending = false

    // This bin.
    var announcements = 0, withdrawals = 0, pathChanges = 0, flaps = 0, unstable = 0
    /// Peers that withdrew one of its prefixes in this bin and in the one before.
    var binPeers: Set<UInt32> = []
    var lastBinPeers: Set<UInt32> = []

    // Outages.
    var baseline: Baseline
    var outages: [OpenOutage] = []
    /// Whether `baseline` is learning the level of an outage open for a whole baseline period.
    var relearning = false
    /// The visible prefixes at the last normal bin, what an outage lost is measured from,
    /// kept as the prefixes that came or went since, each with whether it counted then
    /// (a snapshot of a country of 100,000 prefixes at every normal bin cost more than the rest).
    var sinceNormal: [UInt32: Bool] = [:]
    /// Whether the visible set changed since the last normal bin.
    var normalStale = true

    // Instability.
    var churnBaseline: Baseline
    var highRun = 0
    var highValues: [Int32] = []
    var quietRun = 0
    var instability: Int?
    var evidence = InstabilityEvidence()

    /// The last bin stored (origin ASes store a bin only when something changed).
    var lastStored: SeriesBin?

    // Sleep.
    /// Whether it is judged when the open bin closes. A settled origin AS series sleeps
    /// until something moves it (`Monitor.wake`), so that a bin costs what changed in it.
    var awake = true
    /// The family's judged bins when it fell asleep (`Monitor.judgedBins`): what it owes its baselines.
    var sleptAt = (judged: 0, churn: 0)

    init(id: SeriesID, rules: SeriesRules, baselineBins: Int) {
        self.id = id
        self.rules = rules
        baseline = Baseline(capacity: baselineBins)
        churnBaseline = Baseline(capacity: baselineBins)
    }

    var isCountry: Bool { if case .country = id.subject { true } else { false } }


    var hasUpdates: Bool { announcements + withdrawals + pathChanges + flaps > 0 }

    /// Whether its bins would only add its level to its baselines until something moves it:
    /// no detector under way, nothing from the bin before to carry, history enough to be
    /// judged (then a loss cannot appear while the level stays: `Baseline`). Countries never
    /// sleep: they store a bin every time.
    func canSleep(minimumHistory: Int) -> Bool {
        !isCountry && outages.isEmpty && instability == nil && highRun == 0 && quietRun == 0 && !relearning
            && !normalStale && binPeers.isEmpty && lastBinPeers.isEmpty && baseline.count >= minimumHistory
    }

    func resetBin() {
        announcements = 0; withdrawals = 0; pathChanges = 0; flaps = 0; unstable = 0
        lastBinPeers = binPeers
        binPeers = []
        changed = false
        rebase = 0
    }
}

/// A set of prefix lengths, 0 to 128.
struct LengthSet: Equatable {
    private var bits: (UInt64, UInt64, UInt64) = (0, 0, 0)
    mutating func insert(_ length: Int) {
        switch length >> 6 {
        case 0: bits.0 |= 1 << UInt64(length & 63)
        case 1: bits.1 |= 1 << UInt64(length & 63)
        default: bits.2 |= 1 << UInt64(length & 63)
        }
    }
    func contains(_ length: Int) -> Bool {
        switch length >> 6 {
        case 0: bits.0 & 1 << UInt64(length & 63) != 0
        case 1: bits.1 & 1 << UInt64(length & 63) != 0
        default: bits.2 & 1 << UInt64(length & 63) != 0
        }
    }
    static func == (a: LengthSet, b: LengthSet) -> Bool { a.bits == b.bits }
}

/// The detectors' rules (README "Outage and instability detection" writes them out).
public struct DetectorOptions: Sendable {
    /// Bin width in seconds (5 minutes).
    public var binSeconds: UInt32 = 300
    /// Outage: visible prefixes below this fraction of the baseline.
    public var outageThreshold = 0.8
    /// The baseline is the median of up to this many previous normal bins (24 hours).
    public var baselineBins = 288
    /// Nothing is judged before this many normal bins (1 hour).
    public var minimumHistory = 12
    /// Instability: churn (withdrawals + flaps + path changes) above this multiple of
    /// its baseline...
    public var instabilityFactor = 5.0
    /// ... and above this many events per bin...
    public var instabilityMinimum = 20.0
    /// ... for this many consecutive bins.
    public var instabilityBins = 3
    /// A stretch of more than this many bins without any data (2 hours) is a gap in the
    /// data, not a quiet network: its bins are not emitted and the detectors skip it.
    public var gapBins = 24
    /// Origin ASes with fewer visible prefixes than this in their baseline are not judged
    /// (a single prefix coming and going is routine).
    public var asnMinimumPrefixes = 3
    public init() {}
}

/// The median of the last normal values: bins inside an event are not added, so an
/// outage does not drag its own baseline down, however long it lasts.
///
/// Values are counts. The median is cached and computed again only when a value enters
/// that differs from the one it pushes out, so the many series that do not change (most
/// origin ASes, most of the time) cost nothing per bin.
struct Baseline {
    private var values: [UInt32] = []
    private var next = 0
    private var cached: Double?
    /// The value every stored value equals, when they all do.
    private var constant: UInt32?
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { values.count }

    mutating func add(_ v: UInt32) {
        if values.isEmpty { constant = v }
        if values.count < capacity {
            values.append(v)
            if constant != v { constant = nil; cached = nil }
        } else {
            let evicted = values[next]
            values[next] = v
            if evicted != v {
                cached = nil
                if constant != v { constant = nil }
            }
        }
        next = (next + 1) % capacity
    }

    var median: Double {
        mutating get {
            if let constant { return Double(constant) }
            if let cached { return cached }
            guard !values.isEmpty else { return 0 }
            let s = values.sorted()
            let m = s.count % 2 == 1 ? Double(s[s.count / 2]) : (Double(s[s.count / 2 - 1]) + Double(s[s.count / 2])) / 2
            if s.first == s.last { constant = s.first }
            cached = m
            return m
        }
    }
}

/// Follows one series bin by bin and says when an outage opens and closes.
struct OutageTracker {
    enum Step { case normal, opened, ongoing, closed }
    private var baseline: Baseline
    /// While open: the baseline it is measured against, and the lowest value seen.
    private(set) var openBaseline: Double?
    private(set) var lowest = 0.0
    let options: DetectorOptions

    init(options: DetectorOptions) {
        self.options = options
        baseline = Baseline(capacity: options.baselineBins)
    }

    var isOpen: Bool { openBaseline != nil }

    mutating func step(_ count: Int) -> Step {
        let value = Double(count)
        if let b = openBaseline {
            if value >= options.outageThreshold * b {
                openBaseline = nil
                baseline.add(UInt32(clamping: count))
                return .closed
            }
            lowest = min(lowest, value)
            return .ongoing
        }
        let b = baseline.median
        if baseline.count >= options.minimumHistory, b > 0, value < options.outageThreshold * b {
            openBaseline = b
            lowest = value
            return .opened
        }
        baseline.add(UInt32(clamping: count))
        return .normal
    }
}

/// Follows one churn series: instability opens after `instabilityBins` consecutive bins
/// above the threshold, starting at the first of them, and closes at the first bin below.
struct InstabilityTracker {
    enum Step { case normal, opened(startBinsAgo: Int), ongoing, closed }
    private var baseline: Baseline
    private var above = 0
    private var aboveValues: [UInt32] = []
    private(set) var isOpen = false
    private(set) var openBaseline = 0.0
    let options: DetectorOptions

    init(options: DetectorOptions) {
        self.options = options
        baseline = Baseline(capacity: options.baselineBins)
    }

    mutating func step(_ count: Int) -> Step {
        let churn = Double(count)
        let b = isOpen ? openBaseline : baseline.median
        let high = baseline.count >= options.minimumHistory
            && churn > max(options.instabilityFactor * b, options.instabilityMinimum)
        if isOpen {
            if high { return .ongoing }
            isOpen = false
            baseline.add(UInt32(clamping: count))
            return .closed
        }
        guard high else {
            for v in aboveValues { baseline.add(v) }  // a short burst was normal after all
            aboveValues = []
            above = 0
            baseline.add(UInt32(clamping: count))
            return .normal
        }
        above += 1
        aboveValues.append(UInt32(clamping: count))
        if above >= options.instabilityBins {
            isOpen = true
            openBaseline = b
            let ago = above - 1
            above = 0
            aboveValues = []
            return .opened(startBinsAgo: ago)
        }
        return .normal
    }
}

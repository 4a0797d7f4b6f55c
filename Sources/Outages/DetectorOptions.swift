import Connectivity

/// The rules of one kind of series (countries, or origin ASes), as durations and shares.
/// README "Detection rules" writes them out with their reasons.
public struct SeriesRules: Sendable, Equatable {
    /// Outage: visible prefixes below this fraction of the baseline.
    public var outageThreshold: Double
    /// Series whose baseline holds fewer prefixes than this are not judged.
    public var minimumPrefixes: Int
    /// An outage is reported once it has lasted this long (seconds) — or at once when the
    /// loss is complete, with no flapping and no instability under way.
    public var outageDuration: UInt32
    /// Instability: prefixes that flapped or changed path in a bin, at least this share of
    /// the series' size...
    public var instabilityShare: Double
    /// ... and at least this many...
    public var instabilityMinimum: Int
    /// ... and more than this multiple of their baseline...
    public var instabilityFactor: Double
    /// ... for this long (seconds); the event ends after this long without such a bin.
    public var instabilityDuration: UInt32
    public var instabilityQuiet: UInt32

    public init(outageThreshold: Double, minimumPrefixes: Int, outageDuration: UInt32, instabilityShare: Double,
                instabilityMinimum: Int, instabilityFactor: Double, instabilityDuration: UInt32, instabilityQuiet: UInt32) {
        self.outageThreshold = outageThreshold
        self.minimumPrefixes = minimumPrefixes
        self.outageDuration = outageDuration
        self.instabilityShare = instabilityShare
        self.instabilityMinimum = instabilityMinimum
        self.instabilityFactor = instabilityFactor
        self.instabilityDuration = instabilityDuration
        self.instabilityQuiet = instabilityQuiet
    }

    /// Countries: a loss of 20% for 15 minutes; instability when a tenth of the prefixes flap for 15 minutes.
    public static let countries = SeriesRules(outageThreshold: 0.8, minimumPrefixes: 1, outageDuration: 900,
                                              instabilityShare: 0.1, instabilityMinimum: 2, instabilityFactor: 5,
                                              instabilityDuration: 900, instabilityQuiet: 1800)
    /// Origin ASes, stricter: half of at least 3 prefixes for 30 minutes; half of them flapping for 30 minutes.
    public static let originASes = SeriesRules(outageThreshold: 0.5, minimumPrefixes: 3, outageDuration: 1800,
                                               instabilityShare: 0.5, instabilityMinimum: 2, instabilityFactor: 5,
                                               instabilityDuration: 1800, instabilityQuiet: 1800)
}

/// Everything the monitor's rules depend on. Stored with the checkpoint: a resumed run
/// must use the rules the state was built with.
public struct DetectorOptions: Sendable, Equatable {
    /// Bin width in seconds (5 minutes).
    public var binSeconds: UInt32 = 300
    /// The baseline is the median of the normal bins of the last 24 hours; a peer's
    /// withdrawal is forgotten (the peer no longer counts as one that carried the prefix)
    /// after as long; an outage open that long starts a new baseline at its level.
    public var baselineSeconds: UInt32 = 86_400
    /// Nothing is judged before one hour of history.
    public var minimumHistorySeconds: UInt32 = 3600
    /// More than two hours without any data is a gap: no bins for it.
    public var gapSeconds: UInt32 = 7200
    /// A collector with no data for 30 minutes is silent: its peers do not count until it speaks again.
    public var silenceSeconds: UInt32 = 1800
    public var rule = VisibilityRule()
    public var countries = SeriesRules.countries
    public var originASes = SeriesRules.originASes

    public init() {}

    func bins(_ seconds: UInt32) -> Int { max(1, Int((seconds + binSeconds - 1) / binSeconds)) }
    var baselineBins: Int { bins(baselineSeconds) }
    var minimumHistory: Int { min(bins(minimumHistorySeconds), baselineBins) }
}

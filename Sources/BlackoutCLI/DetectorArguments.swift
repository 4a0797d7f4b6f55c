import ArgumentParser
import Connectivity
import Outages

/// The detection rules' flags, shared by `ingest`, `watch` and `live` (README "Detection rules").
struct DetectorArguments: ParsableArguments {
    @Option(help: ArgumentHelp("Bin width: 5m (default), 1m, 15m, 1h, or seconds.", valueName: "width"))
    var bin: String = "5m"

    @Option(help: ArgumentHelp("Outage: visible prefixes below this fraction of the baseline.", valueName: "fraction"))
    var outageThreshold = 0.8

    @Option(help: ArgumentHelp("The baseline is the median of this many hours of normal bins before.", valueName: "hours"))
    var baselineHours = 24.0

    @Option(help: ArgumentHelp("Instability: prefixes that flap or change path in a bin above this multiple of their baseline...", valueName: "factor"))
    var instabilityFactor = 5.0

    @Option(help: ArgumentHelp("... and at least this many (and a tenth of a country's prefixes, half of an origin AS's)...", valueName: "count"))
    var instabilityMinimum = 2.0

    @Option(help: ArgumentHelp("... for this many bins for a country (twice as long for an origin AS).", valueName: "bins"))
    var instabilityBins = 3

    @Option(help: ArgumentHelp("A prefix counts when more than this share of the full-feed peers carried it in its baseline.", valueName: "share"))
    var visibility = 0.5

    @Option(help: ArgumentHelp("A peer is full-feed with at least this share of the largest peer's IPv4 prefixes.", valueName: "share"))
    var fullFeed = 0.8

    @Option(help: ArgumentHelp("A counted prefix stays visible while this share of the peers that carried it in its baseline still do.", valueName: "share"))
    var retained = 0.5

    @Option(help: ArgumentHelp("A country's outage is reported once it has lasted this long (or at once when complete).", valueName: "duration"))
    var outageDuration = "15m"

    @Option(help: ArgumentHelp("Origin AS outage: visible prefixes below this fraction of the baseline.", valueName: "fraction"))
    var asnOutageThreshold = 0.5

    @Option(help: ArgumentHelp("An origin AS's outage is reported once it has lasted this long (or at once when complete).", valueName: "duration"))
    var asnOutageDuration = "30m"

    @Option(help: ArgumentHelp("Origin ASes with fewer prefixes in their baseline are not judged.", valueName: "count"))
    var asnMinimumPrefixes = 3

    @Option(help: ArgumentHelp("A collector silent this long is a gap for its peers.", valueName: "duration"))
    var silence = "30m"

    func validate() throws {
        // Each bound is written so that NaN fails it and infinities are outside.
        let width = BinWidth.parse(bin)
        try requireFlag("--bin", "'\(bin)'", in: "60 s...1 day (such as 1m, 5m, 15m, 1h or a number of seconds)",
                        width.map { $0 >= 60 && $0 <= 86_400 } ?? false)
        try requireFlag("--outage-threshold", outageThreshold, in: "(0, 1) (a fraction of the baseline)",
                        outageThreshold > 0 && outageThreshold < 1)
        try requireFlag("--baseline-hours", baselineHours, in: "(0, 720] (up to 30 days)", baselineHours > 0 && baselineHours <= 720)
        try requireFlag("--instability-factor", instabilityFactor, in: "(1, 1000]", instabilityFactor > 1 && instabilityFactor <= 1000)
        try requireFlag("--instability-minimum", instabilityMinimum, in: "[0, 1000000] (prefixes per bin)",
                        instabilityMinimum >= 0 && instabilityMinimum <= 1_000_000)
        try requireFlag("--instability-bins", instabilityBins, in: "[1, 1000] (consecutive bins)", instabilityBins >= 1 && instabilityBins <= 1000)
        try requireFlag("--visibility", visibility, in: "[0, 1) (a share of the full-feed peers)", visibility >= 0 && visibility < 1)
        try requireFlag("--full-feed", fullFeed, in: "(0, 1] (a share of the largest peer's prefixes)", fullFeed > 0 && fullFeed <= 1)
        try requireFlag("--retained", retained, in: "(0, 1] (a share of the prefix's baseline carriers)", retained > 0 && retained <= 1)
        try requireFlag("--asn-outage-threshold", asnOutageThreshold, in: "(0, 1)", asnOutageThreshold > 0 && asnOutageThreshold < 1)
        try requireFlag("--asn-minimum-prefixes", asnMinimumPrefixes, in: "[1, 1000000]", asnMinimumPrefixes >= 1 && asnMinimumPrefixes <= 1_000_000)
        for (flag, text) in [("--outage-duration", outageDuration), ("--asn-outage-duration", asnOutageDuration)] {
            try requireFlag(flag, "'\(text)'", in: "0...7d (such as 0, 15m, 1h)", BinWidth.parse(text, allowZero: true).map { $0 <= 7 * 86_400 } ?? false)
        }
        try requireFlag("--silence", "'\(silence)'", in: "5m...7d (such as 30m, 2h)",
                        BinWidth.parse(silence).map { $0 >= 300 && $0 <= 7 * 86_400 } ?? false)
    }

    /// The detection rules these flags ask for.
    var detectorOptions: DetectorOptions {
        var o = DetectorOptions()
        o.binSeconds = BinWidth.parse(bin)!
        o.baselineSeconds = UInt32(baselineHours * 3600)
        o.rule = VisibilityRule(fullFeedShare: fullFeed, visibilityShare: visibility, retainedShare: retained)
        o.countries.outageThreshold = outageThreshold
        o.countries.outageDuration = BinWidth.parse(outageDuration, allowZero: true)!
        o.originASes.outageThreshold = asnOutageThreshold
        o.originASes.outageDuration = BinWidth.parse(asnOutageDuration, allowZero: true)!
        o.originASes.minimumPrefixes = asnMinimumPrefixes
        o.silenceSeconds = BinWidth.parse(silence, allowZero: true)!
        for k in [\DetectorOptions.countries, \DetectorOptions.originASes] {
            o[keyPath: k].instabilityFactor = instabilityFactor
            o[keyPath: k].instabilityMinimum = Int(instabilityMinimum)
        }
        o.countries.instabilityDuration = UInt32(instabilityBins) * o.binSeconds
        o.originASes.instabilityDuration = 2 * o.countries.instabilityDuration
        return o
    }
}

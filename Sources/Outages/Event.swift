import MRT
import Registry

/// An outage or a period of instability of a country (or of one origin AS), with its evidence.
public struct Event: Sendable, Equatable {
    public enum Kind: String, Sendable { case outage, instability }
    public enum Severity: String, Sendable { case complete, partial, high }

    public var country: CountryCode
    /// The origin AS for an AS-level event; nil for a country.
    public var asn: UInt32?
    public var kind: Kind
    public var severity: Severity
    /// The first bin below the threshold (outage) or above it (instability), Unix time.
    public var start: UInt32
    /// The first bin back to normal; nil while open.
    public var end: UInt32?
    /// The largest share of the baseline lost (outage), in [0, 1].
    public var fractionLost: Double
    /// The baseline (median of normal bins) the event is measured against.
    public var baseline: Double
    /// Prefixes visible before the event and not at its deepest point.
    public var prefixesLost: [Prefix]
    public var originsAffected: [UInt32]
    public var originsUnaffected: [UInt32]
    /// International providers on the lost prefixes' paths that no remaining path uses.
    public var providersLost: [UInt32]
    /// Peers that withdrew the lost prefixes, as "AS<asn> <address> (<collector>)".
    public var peers: [String]
    public var summary: String

    public init(country: CountryCode, asn: UInt32?, kind: Kind, severity: Severity, start: UInt32, end: UInt32?,
                fractionLost: Double, baseline: Double, prefixesLost: [Prefix], originsAffected: [UInt32],
                originsUnaffected: [UInt32], providersLost: [UInt32], peers: [String], summary: String) {
        self.country = country
        self.asn = asn
        self.kind = kind
        self.severity = severity
        self.start = start
        self.end = end
        self.fractionLost = fractionLost
        self.baseline = baseline
        self.prefixesLost = prefixesLost
        self.originsAffected = originsAffected
        self.originsUnaffected = originsUnaffected
        self.providersLost = providersLost
        self.peers = peers
        self.summary = summary
    }
}

/// `2014-12-22 16:15` (UTC) of a Unix time.
public func utcMinute(_ t: UInt32) -> String {
    let (y, m, d) = civilDate(t)
    let secs = Int(t) % 86_400
    func two(_ x: Int) -> String { x < 10 ? "0\(x)" : "\(x)" }
    return "\(y)-\(two(m))-\(two(d)) \(two(secs / 3600)):\(two(secs / 60 % 60))"
}

/// `9h30m` of a number of seconds.
public func durationText(_ seconds: Int) -> String {
    let h = seconds / 3600, m = seconds / 60 % 60
    if h >= 24 { return "\(h / 24)d\(h % 24)h\(m)m" }
    return h > 0 ? "\(h)h\(m)m" : "\(m)m"
}

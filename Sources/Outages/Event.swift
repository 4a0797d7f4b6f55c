import MRT
import Registry

/// Which address family a series or an event is about.
public enum Family: String, Sendable, CaseIterable {
    case ipv4, ipv6
}

/// What a series follows: a country, or an origin AS.
public enum SeriesSubject: Hashable, Sendable, Comparable, CustomStringConvertible {
    case country(CountryCode)
    case asn(UInt32)

    /// `KP` or `AS131279`.
    public var description: String {
        switch self {
        case .country(let cc): cc.description
        case .asn(let asn): "AS\(asn)"
        }
    }

    /// Parses what `description` prints.
    public init?(_ text: String) {
        if text.hasPrefix("AS"), let asn = UInt32(text.dropFirst(2)) { self = .asn(asn) } else if let cc = CountryCode(text) { self = .country(cc) } else { return nil }
    }

    public static func < (a: SeriesSubject, b: SeriesSubject) -> Bool { a.description < b.description }
}

/// One series: a country's or an origin AS's prefixes of one family.
public struct SeriesID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var subject: SeriesSubject
    public var family: Family
    public init(_ subject: SeriesSubject, _ family: Family = .ipv4) {
        self.subject = subject
        self.family = family
    }
    public var description: String { "\(subject) \(family.rawValue)" }
    public static func < (a: SeriesID, b: SeriesID) -> Bool {
        a.subject != b.subject ? a.subject < b.subject : a.family.rawValue < b.family.rawValue
    }
}

/// One series' figures for one time bin. Countries and origin ASes have the same bins.
public struct SeriesBin: Sendable, Equatable {
    /// Start of the bin, Unix time.
    public var time: UInt32
    /// Prefixes that count and are visible at the end of the bin (README "Detection rules").
    public var visiblePrefixes: Int
    /// Their address space, overlaps counted once: /24 equivalents for IPv4, /48 for IPv6.
    public var space: Double
    public var announcements: Int
    public var withdrawals: Int
    public var pathChanges: Int
    /// Prefixes withdrawn and announced again by the same peer within the bin or the one before.
    public var flaps: Int
    /// Distinct prefixes that flapped or changed path: what the instability rule follows.
    public var unstablePrefixes: Int
    /// Full-feed peers counted in this bin (0: a gap in the data, nothing is judged).
    public var fullFeedPeers: Int
    /// Peers counted (RIB-synchronised, session up, collector not silent).
    public var peers: Int
    /// Collectors whose peers counted.
    public var collectors: Int

    public init(time: UInt32, visiblePrefixes: Int, space: Double, announcements: Int = 0, withdrawals: Int = 0,
                pathChanges: Int = 0, flaps: Int = 0, unstablePrefixes: Int = 0, fullFeedPeers: Int = 0, peers: Int = 0,
                collectors: Int = 0) {
        self.time = time
        self.visiblePrefixes = visiblePrefixes
        self.space = space
        self.announcements = announcements
        self.withdrawals = withdrawals
        self.pathChanges = pathChanges
        self.flaps = flaps
        self.unstablePrefixes = unstablePrefixes
        self.fullFeedPeers = fullFeedPeers
        self.peers = peers
        self.collectors = collectors
    }

    /// Whether the bin is a gap in the data (no full-feed peer counted).
    public var isGap: Bool { fullFeedPeers == 0 }
}

/// An outage or a period of instability of a country or an origin AS, with its evidence.
public struct Event: Sendable, Equatable {
    public enum Kind: String, Sendable { case outage, instability }
    public enum Severity: String, Sendable { case complete, partial, high }

    /// The country, or the origin AS's registered country; nil when no registry file lists it.
    public var country: CountryCode?
    /// The origin AS for an AS-level event; nil for a country.
    public var asn: UInt32?
    public var family: Family
    public var kind: Kind
    public var severity: Severity
    /// The first bin below the threshold (outage) or above it (instability), Unix time.
    public var start: UInt32
    /// The first bin back to normal; nil while ongoing.
    public var end: UInt32?
    /// The end of the last bin judged (an ongoing event has lasted until then).
    public var lastSeen: UInt32
    /// The largest share of the baseline lost, in [0, 1] (for instability: in its dips).
    public var fractionLost: Double
    /// The baseline (median of normal bins) the event is measured against: prefixes.
    public var baseline: Double
    /// Prefixes visible before the event and not at its deepest point.
    public var prefixesLost: [Prefix]
    public var originsAffected: [UInt32]
    public var originsUnaffected: [UInt32]
    /// International providers on the lost prefixes' paths that no remaining path uses.
    public var providersLost: [UInt32]
    /// Peers that withdrew the series' prefixes during the event, as "AS<asn> <address> (<collector>)".
    public var peers: [String]
    /// The collectors of those peers.
    public var collectors: [String]
    /// Instability: flaps counted over the event, and the dips (short losses) inside it.
    public var flaps: Int
    public var dips: Int
    public var summary: String

    public init(country: CountryCode?, asn: UInt32?, family: Family = .ipv4, kind: Kind, severity: Severity,
                start: UInt32, end: UInt32?, lastSeen: UInt32? = nil, fractionLost: Double, baseline: Double,
                prefixesLost: [Prefix], originsAffected: [UInt32], originsUnaffected: [UInt32], providersLost: [UInt32],
                peers: [String], collectors: [String] = [], flaps: Int = 0, dips: Int = 0, summary: String) {
        self.country = country
        self.asn = asn
        self.family = family
        self.kind = kind
        self.severity = severity
        self.start = start
        self.end = end
        self.lastSeen = lastSeen ?? end ?? start
        self.fractionLost = fractionLost
        self.baseline = baseline
        self.prefixesLost = prefixesLost
        self.originsAffected = originsAffected
        self.originsUnaffected = originsUnaffected
        self.providersLost = providersLost
        self.peers = peers
        self.collectors = collectors
        self.flaps = flaps
        self.dips = dips
        self.summary = summary
    }

    /// The series the event is about.
    public var series: SeriesID {
        SeriesID(asn.map { .asn($0) } ?? .country(country ?? CountryCode(rawValue: 0)), family)
    }

    /// What identifies an event across runs: its kind, series and start.
    public var key: String { "\(kind.rawValue) \(asn.map { "AS\($0)" } ?? country?.description ?? "--") \(family.rawValue) \(start)" }
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

import MRT
import Registry

/// Dyn Research's band of a country's exposure to disconnection, from the number of its
/// frontier ASes that have a direct international provider: 1-2 severe, 3-9 significant,
/// 10-40 low, more than 40 resistant. A country with no such AS is severe too.
public enum RiskBand: String, Sendable, Codable, CaseIterable {
    case severe, significant, low, resistant

    public init(frontierASes n: Int) {
        switch n {
        case ...2: self = .severe
        case 3...9: self = .significant
        case 10...40: self = .low
        default: self = .resistant
        }
    }
}

/// One international provider of a country.
public struct ProviderShare: Sendable, Equatable {
    public var asn: UInt32
    public var name: String?
    /// The provider's registered country.
    public var country: CountryCode?
    /// The country's prefixes with at least one observed path through this provider.
    public var prefixes: Int
    /// Observed (peer, prefix) paths through it.
    public var prefixPaths: Int
    /// Share of the country's address space (IPv4) whose paths go through it.
    public var addressShare: Double
    /// Share of the country's address space (IPv4) for which no observed path avoids it.
    public var dependence: Double
}

/// One of a country's origin ASes: the domestic view.
public struct OriginReport: Sendable, Equatable {
    public var asn: UInt32
    public var name: String?
    public var prefixes: Int
    /// The international providers on its prefixes' paths.
    public var providers: [UInt32]
}

/// What a routing table says of one country.
public struct CountryReport: Sendable, Equatable {
    public var country: CountryCode
    /// Visible IPv4 prefixes ("networks").
    public var prefixes: Int
    /// IPv4 address space in /24 equivalents, overlapping prefixes counted once.
    public var slash24s: Double
    public var ipv6Prefixes: Int
    /// Origin ASes of its visible prefixes.
    public var originASNs: [UInt32]
    /// Full-feed peers that carry at least one of its prefixes.
    public var peers: Int
    /// International providers, most prefixes first.
    public var providers: [ProviderShare]
    /// The country's ASes adjacent to an international provider on some path.
    public var frontierASNs: [UInt32]
    public var risk: RiskBand
    public var origins: [OriginReport]

    public init(country: CountryCode, prefixes: Int, slash24s: Double, ipv6Prefixes: Int, originASNs: [UInt32],
                peers: Int, providers: [ProviderShare], frontierASNs: [UInt32], risk: RiskBand, origins: [OriginReport]) {
        self.country = country
        self.prefixes = prefixes
        self.slash24s = slash24s
        self.ipv6Prefixes = ipv6Prefixes
        self.originASNs = originASNs
        self.peers = peers
        self.providers = providers
        self.frontierASNs = frontierASNs
        self.risk = risk
        self.origins = origins
    }

    /// A country with nothing visible in the table.
    public static func empty(_ cc: CountryCode) -> CountryReport {
        CountryReport(country: cc, prefixes: 0, slash24s: 0, ipv6Prefixes: 0, originASNs: [], peers: 0,
                      providers: [], frontierASNs: [], risk: .severe, origins: [])
    }
}

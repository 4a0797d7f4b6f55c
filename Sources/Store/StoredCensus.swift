import Registry

/// One country's census of the latest routing state, as an ingest stores it so that the
/// server answers without re-reading archives: the figures the overview lists, and the
/// whole `blackout country --json` object (rendered by the one census renderer, kept as text).
public struct StoredCensus: Sendable, Equatable {
    public var country: CountryCode
    /// The routing state's time (Unix seconds): the latest element the state had seen.
    public var time: UInt32
    public var prefixes: Int
    public var slash24s: Double
    public var ipv6Prefixes: Int
    public var origins: Int
    public var providers: Int
    /// The risk band (`RiskBand.rawValue`).
    public var risk: String
    /// The country's object as `blackout country --json` prints it.
    public var json: String

    public init(country: CountryCode, time: UInt32, prefixes: Int, slash24s: Double, ipv6Prefixes: Int, origins: Int,
                providers: Int, risk: String, json: String) {
        self.country = country
        self.time = time
        self.prefixes = prefixes
        self.slash24s = slash24s
        self.ipv6Prefixes = ipv6Prefixes
        self.origins = origins
        self.providers = providers
        self.risk = risk
        self.json = json
    }
}

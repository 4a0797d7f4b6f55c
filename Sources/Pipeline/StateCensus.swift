import Connectivity
import MRT
import Outages
import Registry
import Routing
import Store

/// The census of the monitor's latest routing state, as every save stores it (README
/// "Census rules"): the census `blackout country` takes of a RIB dump, taken of the tables
/// the monitor holds instead, so that the server answers without re-reading archives.
///
/// - The same rules (`CensusBuilder`): full-feed peers and visible prefixes by
///   `VisibilityRule` (the ingest's `--full-feed` and `--visibility`), a prefix's country by
///   the registry, origins and international providers by `ProviderWalk`.
/// - Every (collector, peer) table of the state is one peer, as every peer of a RIB dump is.
/// - The registry is the one the monitor loaded for its data's time; the census's time is
///   the latest element the state has seen (`Monitor.now`).
/// - Each country is rendered by the one census renderer (`CensusRendering.json`), so that
///   the stored object is byte for byte what `blackout country CC --json` prints for a RIB
///   dump holding the same tables.
public enum StateCensus {
    /// The census of `monitor`'s routing tables now; nil before the monitor has loaded a
    /// registry (it has seen no element), when there is no state to take a census of.
    public static func census(of monitor: Monitor) -> Census? {
        guard let registry = monitor.registry else { return nil }
        var options = CensusOptions()
        options.rule = monitor.options.rule
        let builder = CensusBuilder(options: options, registry: registry, time: monitor.now)
        builder.add(StateRoutes(state: monitor.state))
        return builder.finish()
    }

    /// One row per country with visible prefixes, by country code. A country whose code is
    /// not two letters A-Z (which the renderer prints as `null`) has no row: a row is found
    /// by its code.
    public static func rows(_ census: Census) -> [StoredCensus] {
        let sink = ByteSink(capacity: 1 << 14)
        return census.countries.compactMap { r -> StoredCensus? in
            guard CensusRendering.code(r.country) != nil else { return nil }
            sink.removeAll()
            CensusRendering.json(r, into: sink)
            return StoredCensus(country: r.country, time: census.timestamp, prefixes: r.prefixes, slash24s: r.slash24s,
                                ipv6Prefixes: r.ipv6Prefixes, origins: r.originASNs.count, providers: r.providers.count,
                                risk: r.risk.rawValue, json: String(decoding: sink.bytes, as: UTF8.self))
        }.sorted { $0.country.description < $1.country.description }
    }

    /// The rows of `monitor`'s census now (`census(of:)`, `rows(_:)`); nil with no state.
    public static func rows(of monitor: Monitor) -> [StoredCensus]? {
        census(of: monitor).map(rows)
    }
}

/// The routing state's tables as the census reads them: prefixes and paths by their
/// interned ids, one peer per (collector, peer) session.
/// (The tables are read as they are when it is made: it holds them, not the state.)
struct StateRoutes: InternedRoutes {
    private let prefixes: PrefixIndex
    private let paths: PathTable
    private let tables: [PeerRoutes]

    init(state: RoutingState) {
        prefixes = state.prefixes
        paths = state.paths
        tables = state.tables
    }

    var peerCount: Int { tables.count }
    var prefixCount: Int { prefixes.count }
    var pathCount: Int { paths.count }
    func prefix(_ id: UInt32) -> Prefix { prefixes[id] }
    func path(_ id: UInt32, into asns: inout [UInt32]) -> Bool { paths.path(id, into: &asns) }
    func forEachRoute(ofPeer peer: Int, _ body: (UInt32, UInt32) -> Void) { tables[peer].forEach(body) }
    func paths(ofPrefix prefix: UInt32, peers: [Int], into paths: UnsafeMutableBufferPointer<UInt32>) {
        for (k, peer) in peers.enumerated() { paths[k] = tables[peer].path(of: prefix) ?? UInt32.max }
    }
    func split(_ id: UInt32) -> (first: UInt32, rest: UInt32?)? { paths.split(id) }
}
